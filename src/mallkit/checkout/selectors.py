"""Checkout reads: shipping methods for an address, tax rates, and a basket's prices."""

from decimal import Decimal

from django.conf import settings

from mallkit.catalog.models import Product

from .models import ShippingMethod, TaxRate


def shipping_methods(*, country: str = "", region: str = "") -> list[ShippingMethod]:
    """Active shipping methods that deliver to the country and region (all when unknown)."""
    methods = list(ShippingMethod.objects.filter(is_active=True))
    if not country:
        return methods
    return [m for m in methods if m.serves(country=country, region=region)]


def shop_tax_rate() -> Decimal:
    return Decimal(str(settings.MALLKIT_TAX_RATE or "0"))


def tax_rates_for(*, variants: list) -> dict[int, Decimal]:
    """Each variant's tax rate: the rate of its product's first taxed category (by category
    position), else the shop-wide rate. One query when no category has a rate of its own, two
    otherwise, whatever the number of variants."""
    rate_by_category = {}
    # Where two rates name one category, the first by name wins.
    for category_id, rate in TaxRate.categories.through.objects.order_by(
        "taxrate__name", "taxrate_id"
    ).values_list("category_id", "taxrate__rate"):
        rate_by_category.setdefault(category_id, rate)
    default = shop_tax_rate()
    if not rate_by_category:
        return {v.pk: default for v in variants}
    product_ids = {v.product_id for v in variants}
    links = Product.categories.through.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "category_id", "category__position"
    )
    best = {}
    for product_id, category_id, _position in sorted(links, key=lambda r: (r[2], r[1])):
        if category_id in rate_by_category and product_id not in best:
            best[product_id] = rate_by_category[category_id]
    return {v.pk: best.get(v.product_id, default) for v in variants}
