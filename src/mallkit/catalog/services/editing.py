"""Back office and staff API: products with their variants, prices and bulk price changes."""

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from mallkit.core.cache import catalog_changed
from mallkit.core.errors import ValidationFailed
from mallkit.core.money import parse_amount, percent_of
from mallkit.core.text import sanitize_html
from mallkit.inventory import services as inventory

from ..models import Category, Product, Variant
from .products import _record_price_changes, option_value, refresh_products, unique_slug

PRODUCT_FIELDS = (
    "name",
    "slug",
    "description",
    "status",
    "published_at",
    "expected_at",
    "is_featured",
    "seo_title",
    "seo_description",
    "category_ids",
)
VARIANT_FIELDS = ("price", "compare_at_price", "weight", "stock", "low_stock_threshold")
MAX_AMOUNT = Decimal(10) ** 10  # what DecimalField(max_digits=12, decimal_places=2) holds
MAX_WEIGHT = Decimal(10) ** 5  # DecimalField(max_digits=8, decimal_places=3)
MAX_QUANTITY = 2**31 - 1


def _error(errors: dict, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _amount(value, key: str, errors: dict, *, required: bool = False) -> Decimal | None:
    """A price from a form or the API: a decimal string, at least 0, in the currency's unit."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            _error(errors, key, "Enter a price.")
        return None
    try:
        amount = parse_amount(value)
    except ValueError as error:
        _error(errors, key, str(error))
        return None
    if amount >= MAX_AMOUNT:
        _error(errors, key, "Enter an amount below 10,000,000,000.")
        return None
    return amount


def _weight(value, key: str, errors: dict) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        weight = Decimal(str(value).strip())
    except ArithmeticError:
        weight = None
    if weight is None or not weight.is_finite() or weight < 0 or weight >= MAX_WEIGHT:
        _error(errors, key, "Enter a weight in kilograms of at least 0.")
        return None
    if weight != weight.quantize(Decimal("0.001")):
        _error(errors, key, "Give the weight to the gram at most (three decimal places).")
        return None
    return weight


def _whole_number(value, key: str, errors: dict, *, default=None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        _error(errors, key, "Enter a whole number of at least 0.")
        return default
    return value


def _check_variants(product: Product | None, variants: list, errors: dict) -> list[dict]:
    """Clean the variant rows of save_product; errors go under "variants.<index>.<field>"."""
    existing = {variant.pk: variant for variant in product.variants.all()} if product else {}
    rows = []
    for index, data in enumerate(variants):
        key = f"variants.{index}."
        pk = data.get("id") or None
        if pk is not None and pk not in existing:
            _error(errors, key + "sku", "This variant belongs to another product.")
        sku = str(data.get("sku") or "").strip()
        if not sku:
            _error(errors, key + "sku", "Enter a SKU.")
        elif len(sku) > 64:
            _error(errors, key + "sku", "Use at most 64 characters.")
        options = {}
        for option_name, value in (data.get("options") or {}).items():
            option_name, value = str(option_name).strip(), str(value).strip()
            if not option_name or not value or len(option_name) > 60 or len(value) > 60:
                _error(errors, key + "options", "Give each option a name and a value.")
                break
            options[option_name] = value
        rows.append(
            {
                "id": pk,
                "sku": sku,
                "options": options,
                "price": _amount(data.get("price"), key + "price", errors, required=True),
                "compare_at_price": _amount(
                    data.get("compare_at_price"), key + "compare_at_price", errors
                ),
                "weight": _weight(data.get("weight"), key + "weight", errors),
                "stock": _whole_number(data.get("stock"), key + "stock", errors, default=0),
                "low_stock_threshold": _whole_number(
                    data.get("low_stock_threshold"), key + "low_stock_threshold", errors
                ),
            }
        )
    if not rows:
        _error(errors, "variants", "A product needs at least one variant.")
    repeated_skus = {sku for sku, n in Counter(row["sku"] for row in rows).items() if n > 1}
    taken = set(
        Variant.objects.filter(sku__in=[row["sku"] for row in rows])
        .exclude(pk__in=list(existing))
        .values_list("sku", flat=True)
    )
    combinations = Counter(frozenset(row["options"].items()) for row in rows if row["options"])
    for index, row in enumerate(rows):
        key = f"variants.{index}."
        if row["sku"] in repeated_skus:
            _error(errors, key + "sku", "Two variants have this SKU.")
        elif row["sku"] in taken:
            _error(errors, key + "sku", "Another product's variant has this SKU.")
        if row["options"] and combinations[frozenset(row["options"].items())] > 1:
            _error(errors, key + "options", "Two variants have the same options.")
    return rows


def _write_variants(*, product: Product, rows: list[dict], user=None) -> None:
    # save_product has locked these rows already.
    existing = {variant.pk: variant for variant in Variant.objects.filter(product=product)}
    keep = {row["id"] for row in rows if row["id"]}
    Variant.objects.filter(product=product).exclude(pk__in=keep).delete()
    # A SKU may move from one kept variant to another; park the renamed ones first so the
    # unique constraint never sees two rows with one SKU in between.
    for row in rows:
        if row["id"] and existing[row["id"]].sku != row["sku"]:
            Variant.objects.filter(pk=row["id"]).update(sku=f"~{row['id']}")
    now = timezone.now()
    for position, row in enumerate(rows):
        if row["id"]:
            variant = existing[row["id"]]
            _record_price_changes(
                variant_id=variant.pk,
                old=(variant.price, variant.compare_at_price),
                new=(row["price"], row["compare_at_price"]),
                user=user,
            )
            Variant.objects.filter(pk=variant.pk).update(
                sku=row["sku"],
                price=row["price"],
                compare_at_price=row["compare_at_price"],
                weight=row["weight"],
                position=position,
                updated_at=now,
            )
        else:
            variant = Variant.objects.create(
                product=product,
                sku=row["sku"],
                price=row["price"],
                compare_at_price=row["compare_at_price"],
                weight=row["weight"],
                position=position,
            )
            _record_price_changes(
                variant_id=variant.pk,
                old=(None, None),
                new=(row["price"], row["compare_at_price"]),
                user=user,
            )
            inventory.ensure_stock_levels(variant_ids=[variant.pk])
            if row["stock"]:
                inventory.adjust_stock(
                    variant_id=variant.pk,
                    change=row["stock"],
                    reason=inventory.Reason.INITIAL,
                    user=user,
                )
        variant.option_values.set(
            [option_value(option_name=k, value=v) for k, v in row["options"].items()]
        )
        if row["low_stock_threshold"] is not None:
            inventory.set_low_stock_threshold(
                variant_id=variant.pk, threshold=row["low_stock_threshold"]
            )


def save_product(
    *,
    product: Product | None = None,
    name: str,
    slug: str = "",
    description: str = "",
    status: str = Product.Status.DRAFT,
    published_at: datetime | None = None,
    expected_at: date | None = None,
    is_featured: bool = False,
    seo_title: str = "",
    seo_description: str = "",
    category_ids: Iterable[int] = (),
    variants: Iterable[Mapping] | None = None,
    user=None,
) -> Product:
    """Create a product, or update one, with its variants: everything is saved or nothing.

    `variants` lists every variant the product keeps, in order (dicts: id for an existing
    variant, sku, options {name: value}, price, compare_at_price, weight, stock for a new one,
    low_stock_threshold); variants left out are deleted. None leaves the variants as they are.
    Errors are keyed by field, and "variants.<index>.<field>" for a variant's.
    """
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    slug = (slug or "").strip()
    if not name:
        _error(errors, "name", "Enter a name.")
    elif len(name) > 200:
        _error(errors, "name", "Use at most 200 characters.")
    if status not in Product.Status.values:
        _error(errors, "status", "Choose a valid status.")
    if slug:
        if slugify(slug, allow_unicode=True) != slug or len(slug) > 220:
            _error(errors, "slug", "Use lower-case letters, numbers and hyphens only.")
        elif Product.objects.filter(slug=slug).exclude(pk=getattr(product, "pk", None)).exists():
            _error(errors, "slug", "Another product has this slug.")
    if len(seo_title or "") > 70:
        _error(errors, "seo_title", "Use at most 70 characters.")
    if len(seo_description or "") > 160:
        _error(errors, "seo_description", "Use at most 160 characters.")
    try:
        category_ids = list(dict.fromkeys(int(pk) for pk in category_ids))
    except (TypeError, ValueError):
        category_ids = []
        _error(errors, "category_ids", "Choose existing categories.")
    if len(Category.objects.filter(id__in=category_ids)) != len(category_ids):
        _error(errors, "category_ids", "Choose existing categories.")
    try:
        with transaction.atomic():
            rows = None
            if variants is not None:
                if product is not None:
                    # Lock the variants so the old prices written to the history are current.
                    list(
                        product.variants.select_for_update(no_key=True)
                        .order_by("pk")
                        .values_list("pk")
                    )
                rows = _check_variants(product, list(variants), errors)
            elif product is None:
                _error(errors, "variants", "A product needs at least one variant.")
            if errors:
                raise ValidationFailed(
                    "The product could not be saved; correct the marked fields.", errors=errors
                )
            if product is None:
                product = Product()
            if status == Product.Status.ACTIVE and published_at is None:
                published_at = product.published_at or timezone.now()
            product.name = name
            product.slug = slug or product.slug or unique_slug(Product, name)
            product.description = sanitize_html(description)
            product.status = status
            product.published_at = published_at
            product.expected_at = expected_at
            product.is_featured = bool(is_featured)
            product.seo_title = seo_title or ""
            product.seo_description = seo_description or ""
            product.save()
            product.categories.set(category_ids)
            if rows is not None:
                _write_variants(product=product, rows=rows, user=user)
            refresh_products(product_ids=[product.pk])
            catalog_changed()
    except IntegrityError as error:
        # Another request took the slug or a SKU between our check and our write.
        raise ValidationFailed(
            "Another change was saved at the same moment; check the SKUs and the slug.",
            errors={"__all__": ["A SKU or the slug was taken meanwhile; save again."]},
        ) from error
    product.refresh_from_db()
    return product


def update_product(*, product: Product, changes: Mapping[str, object], user=None) -> Product:
    """Change some fields of a product (those named in PRODUCT_FIELDS), keeping its variants."""
    unknown = sorted(set(changes) - set(PRODUCT_FIELDS))
    if unknown:
        raise ValidationFailed(
            "Some fields cannot be changed here.",
            errors={key: ["This field cannot be changed here."] for key in unknown},
        )
    current = {key: getattr(product, key) for key in PRODUCT_FIELDS if key != "category_ids"}
    current["category_ids"] = list(product.categories.values_list("id", flat=True))
    current.update(changes)
    return save_product(product=product, **current, variants=None, user=user)


def update_variant(*, variant: Variant, changes: Mapping[str, object], user=None) -> Variant:
    """Change a variant's prices, weight, stock on hand or low-stock threshold, all or nothing.

    A new stock figure is a stock-take: the difference goes to the ledger as a correction.
    """
    unknown = sorted(set(changes) - set(VARIANT_FIELDS))
    errors: dict[str, list[str]] = {key: ["This field cannot be changed here."] for key in unknown}
    clean = {}
    if "price" in changes:
        clean["price"] = _amount(changes["price"], "price", errors, required=True)
    if "compare_at_price" in changes:
        clean["compare_at_price"] = _amount(changes["compare_at_price"], "compare_at_price", errors)
    if "weight" in changes:
        clean["weight"] = _weight(changes["weight"], "weight", errors)
    for key in ("stock", "low_stock_threshold"):
        if key in changes:
            if changes[key] is None:
                _error(errors, key, "Enter a whole number of at least 0.")
            clean[key] = _whole_number(changes[key], key, errors)
    if errors:
        raise ValidationFailed("The variant could not be saved.", errors=errors)
    with transaction.atomic():
        # NO KEY UPDATE, as everywhere here: a plain FOR UPDATE would also block the key-share
        # locks that inserting a stock movement takes on its variant, and deadlock against a
        # stock adjustment running at the same moment (PostgreSQL).
        locked = Variant.objects.select_for_update(no_key=True).get(pk=variant.pk)
        old = (locked.price, locked.compare_at_price)
        new = (
            clean.get("price", locked.price),
            clean.get("compare_at_price", locked.compare_at_price),
        )
        fields = {
            key: clean[key] for key in ("price", "compare_at_price", "weight") if key in clean
        }
        if fields:
            _record_price_changes(variant_id=locked.pk, old=old, new=new, user=user)
            Variant.objects.filter(pk=locked.pk).update(**fields, updated_at=timezone.now())
        if "stock" in clean:
            inventory.set_stock(
                variant_id=locked.pk,
                on_hand=clean["stock"],
                reason=inventory.Reason.CORRECTION,
                user=user,
            )
        if "low_stock_threshold" in clean:
            inventory.set_low_stock_threshold(
                variant_id=locked.pk, threshold=clean["low_stock_threshold"]
            )
        if old != new:
            refresh_products(product_ids=[locked.product_id])
        catalog_changed()
    variant.refresh_from_db()
    return variant


def _clean_percent(percent) -> Decimal:
    try:
        value = Decimal(str(percent).strip())
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or not Decimal(-100) < value <= Decimal(1000):
        message = "Enter a percentage above -100 and at most 1000, such as 10 or -15."
    elif value != value.quantize(Decimal("0.01")):
        message = "Use at most two decimal places."
    elif value == 0:
        message = "A change of 0 % changes nothing."
    else:
        return value
    raise ValidationFailed(message, errors={"percent": [message]})


def change_prices_by_percent(
    *,
    product_ids: Iterable[int],
    percent: Decimal | str,
    include_compare_at: bool = False,
    user=None,
) -> int:
    """Raise (or with a negative percent lower) every variant's price of the products.

    Each new price is rounded by the money helper and written to the price history in the same
    transaction. Compare-at prices change too when asked. Returns the number of variants changed.
    """
    percent = _clean_percent(percent)
    ids = list(product_ids)
    with transaction.atomic():
        variants = list(
            Variant.objects.select_for_update(no_key=True).filter(product_id__in=ids).order_by("pk")
        )
        changed, history = [], []
        now = timezone.now()
        for variant in variants:
            old = (variant.price, variant.compare_at_price)
            variant.price = percent_of(variant.price, percent)
            if include_compare_at and variant.compare_at_price is not None:
                variant.compare_at_price = percent_of(variant.compare_at_price, percent)
            new = (variant.price, variant.compare_at_price)
            if max(amount or 0 for amount in new) >= MAX_AMOUNT:
                raise ValidationFailed(
                    "A price would grow too large.",
                    errors={"percent": [f"{variant.sku} would cost too much."]},
                )
            if new != old:
                variant.updated_at = now
                changed.append(variant)
                history.append((variant.pk, old, new))
        Variant.objects.bulk_update(changed, ["price", "compare_at_price", "updated_at"])
        for variant_id, old, new in history:
            _record_price_changes(variant_id=variant_id, old=old, new=new, user=user)
        refresh_products(product_ids=ids)
        catalog_changed()
    return len(changed)
