"""Checkout reads: shipping methods for an address, tax rates, and a basket's prices."""

from decimal import Decimal

from django.conf import settings
from django.db import router

from mallkit.catalog.models import Product
from mallkit.core.db import CompiledQuery, loaded

from .models import ShippingMethod, TaxRate

# Reads every order makes, compiled once (core.db.CompiledQuery) rather than per order.
_METHOD_FIELDS = [field.attname for field in ShippingMethod._meta.concrete_fields]
_ACTIVE_METHOD = CompiledQuery(
    ShippingMethod,
    lambda code: (
        ShippingMethod.objects.filter(code=code, is_active=True)
        .order_by()
        .values_list(*_METHOD_FIELDS)
    ),
    strs=("code",),
)
# Where two rates name one category, the first by name wins.
_CATEGORY_RATES = CompiledQuery(
    TaxRate,
    lambda: TaxRate.categories.through.objects.order_by("taxrate__name", "taxrate_id").values_list(
        "category_id", "taxrate__rate"
    ),
)
_PRODUCT_CATEGORIES = CompiledQuery(
    Product,
    lambda product_ids: Product.categories.through.objects.filter(
        product_id__in=product_ids
    ).values_list("product_id", "category_id", "category__position"),
    int_lists=("product_ids",),
)


def shipping_methods(*, country: str = "", region: str = "") -> list[ShippingMethod]:
    """Active shipping methods that deliver to the country and region (all when unknown)."""
    methods = list(ShippingMethod.objects.filter(is_active=True))
    if not country:
        return methods
    return [m for m in methods if m.serves(country=country, region=region)]


def active_shipping_method(*, code: str) -> ShippingMethod | None:
    """The active shipping method with this code, or None."""
    if not code:
        return None
    rows = _ACTIVE_METHOD.rows(code=code)
    if not rows:
        return None
    values = dict(zip(_METHOD_FIELDS, rows[0], strict=True))
    return loaded(ShippingMethod, router.db_for_read(ShippingMethod), values)


def shop_tax_rate() -> Decimal:
    return Decimal(str(settings.MALLKIT_TAX_RATE or "0"))


def tax_rates_for(*, variants: list) -> dict[int, Decimal]:
    """Each variant's tax rate: the rate of its product's first taxed category (by category
    position), else the shop-wide rate. One query when no category has a rate of its own, two
    otherwise, whatever the number of variants."""
    rate_by_category = {}
    for category_id, rate in _CATEGORY_RATES.rows():
        rate_by_category.setdefault(category_id, rate)
    default = shop_tax_rate()
    if not rate_by_category:
        return {v.pk: default for v in variants}
    links = _PRODUCT_CATEGORIES.rows(product_ids=sorted({v.product_id for v in variants}))
    best = {}
    for product_id, category_id, _position in sorted(links, key=lambda r: (r[2], r[1])):
        if category_id in rate_by_category and product_id not in best:
            best[product_id] = rate_by_category[category_id]
    return {v.pk: best.get(v.product_id, default) for v in variants}
