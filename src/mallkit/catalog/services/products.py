"""Products and their derived columns: creating, publishing, summaries for search."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from mallkit.core.cache import catalog_changed
from mallkit.core.errors import ValidationFailed
from mallkit.core.money import quantize
from mallkit.core.text import plain_text, sanitize_html
from mallkit.inventory import services as inventory

from .. import search
from ..models import Category, Option, OptionValue, PriceChange, Product, Variant


def unique_slug(model, text: str, *, exclude_pk=None, max_length: int = 200) -> str:
    """Return a slug for `text` that no other row of `model` uses."""
    base = (slugify(text, allow_unicode=True) or "item")[: max_length - 8].strip("-") or "item"
    slug, n = base, 2
    queryset = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while queryset.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def product_summary(
    *,
    name: str,
    description: str,
    skus: Iterable[str],
    prices: Iterable[Decimal],
    category_names: Iterable[str],
    option_values: Iterable[str],
) -> dict:
    """The derived columns of a product: lowest price and the two search-index texts.

    The one place this rule lives; bulk loaders call it too.
    """
    prices = list(prices)
    return {
        "price_from": min(prices) if prices else None,
        "search_title": search.document(name, *skus),
        "search_body": search.document(
            plain_text(description), *category_names, *sorted(set(option_values))
        ),
    }


def refresh_products(*, product_ids: Iterable[int]) -> None:
    """Recompute each product's lowest price and search text from its variants and categories."""
    products = Product.objects.filter(id__in=list(set(product_ids))).prefetch_related(
        "categories", "variants__option_values"
    )
    for product in products:
        variants = list(product.variants.all())
        summary = product_summary(
            name=product.name,
            description=product.description,
            skus=[v.sku for v in variants],
            prices=[v.price for v in variants],
            category_names=[c.name for c in product.categories.all()],
            option_values=[ov.value for v in variants for ov in v.option_values.all()],
        )
        Product.objects.filter(pk=product.pk).update(**summary)


def option_value(*, option_name: str, value: str) -> OptionValue:
    """Return the option value (creating the option and value on first use)."""
    option_slug = slugify(option_name) or "option"
    option, _ = Option.objects.get_or_create(slug=option_slug, defaults={"name": option_name})
    value_slug = slugify(value, allow_unicode=True) or "value"
    found, _ = OptionValue.objects.get_or_create(
        option=option, slug=value_slug, defaults={"value": value}
    )
    return found


def _validate_price(value, field: str, errors: dict):
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        errors.setdefault(field, []).append("Enter a valid amount.")
        return None
    if not amount.is_finite() or amount < 0:
        errors.setdefault(field, []).append("Enter an amount of at least 0.")
        return None
    if amount != quantize(amount):
        errors.setdefault(field, []).append("Too many decimal places for the currency.")
        return None
    return quantize(amount)


@transaction.atomic
def create_product(
    *,
    name: str,
    description: str = "",
    status: str = Product.Status.DRAFT,
    category_ids: Iterable[int] = (),
    variants: Iterable[dict] = (),
    is_featured: bool = False,
    published_at=None,
    expected_at=None,
    seo_title: str = "",
    seo_description: str = "",
    slug: str = "",
    user=None,
) -> Product:
    """Create a product with its variants (each a dict: sku, price, compare_at_price, weight,
    options {name: value}, stock) and return it."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Enter a name."]
    if status not in Product.Status.values:
        errors["status"] = ["Choose a valid status."]
    variants = list(variants)
    skus = [str(v.get("sku", "")).strip() for v in variants]
    if any(not s for s in skus):
        errors.setdefault("variants", []).append("Every variant needs a SKU.")
    if len(set(skus)) != len(skus):
        errors.setdefault("variants", []).append("SKUs must be unique.")
    taken = set(Variant.objects.filter(sku__in=skus).values_list("sku", flat=True))
    if taken:
        errors.setdefault("variants", []).append(f"SKU already used: {', '.join(sorted(taken))}.")
    prices = []
    for v in variants:
        price = _validate_price(v.get("price"), "price", errors)
        if price is None and "price" not in errors:
            errors.setdefault("price", []).append("Every variant needs a price.")
        prices.append(
            (price, _validate_price(v.get("compare_at_price"), "compare_at_price", errors))
        )
    if slug and Product.objects.filter(slug=slug).exists():
        errors["slug"] = ["This slug is already used."]
    if errors:
        raise ValidationFailed("The product could not be saved.", errors=errors)

    if status == Product.Status.ACTIVE and published_at is None:
        published_at = timezone.now()
    product = Product.objects.create(
        name=name,
        slug=slug or unique_slug(Product, name),
        description=sanitize_html(description),
        status=status,
        is_featured=is_featured,
        published_at=published_at,
        expected_at=expected_at,
        seo_title=seo_title[:70],
        seo_description=seo_description[:160],
    )
    if category_ids:
        product.categories.set(Category.objects.filter(id__in=list(category_ids)))
    for position, (data, sku, (price, compare_at)) in enumerate(
        zip(variants, skus, prices, strict=True)
    ):
        variant = Variant.objects.create(
            product=product,
            sku=sku,
            price=price,
            compare_at_price=compare_at,
            weight=data.get("weight"),
            position=position,
        )
        _record_price_changes(
            variant_id=variant.pk, old=(None, None), new=(price, compare_at), user=user
        )
        values = [
            option_value(option_name=k, value=str(val))
            for k, val in (data.get("options") or {}).items()
        ]
        if values:
            variant.option_values.set(values)
        inventory.ensure_stock_levels(variant_ids=[variant.pk])
        if data.get("stock"):
            inventory.adjust_stock(
                variant_id=variant.pk,
                change=int(data["stock"]),
                reason=inventory.Reason.INITIAL,
                user=user,
            )
    refresh_products(product_ids=[product.pk])
    catalog_changed()
    product.refresh_from_db()
    return product


def set_product_status(*, product_ids: Iterable[int], status: str) -> int:
    """Publish, unpublish or archive products; publishing stamps the publish date if missing."""
    if status not in Product.Status.values:
        raise ValidationFailed("Choose a valid status.", errors={"status": ["Invalid status."]})
    ids = list(product_ids)
    with transaction.atomic():
        catalog_changed()
        if status == Product.Status.ACTIVE:
            Product.objects.filter(id__in=ids, published_at__isnull=True).update(
                published_at=timezone.now()
            )
        return Product.objects.filter(id__in=ids).update(status=status, updated_at=timezone.now())


def _record_price_changes(
    *, variant_id: int, old: tuple, new: tuple, user=None
) -> list[PriceChange]:
    """Write one history row per changed price: `old` and `new` are (price, compare-at)."""
    changed_by = user if user is not None and user.is_authenticated else None
    rows = [
        PriceChange(
            variant_id=variant_id,
            field=field_name,
            old_value=before,
            new_value=after,
            changed_by=changed_by,
        )
        for field_name, before, after in zip(PriceChange.Field.values, old, new, strict=True)
        if before != after
    ]
    return PriceChange.objects.bulk_create(rows)
