"""Catalogue services: every write to products, variants, pictures and categories."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image

from mallkit.core.cache import catalog_changed
from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.core.money import parse_amount, percent_of, quantize
from mallkit.core.text import plain_text, sanitize_html
from mallkit.inventory import services as inventory

from . import images, search
from .models import Category, Option, OptionValue, PriceChange, Product, ProductImage, Variant


def unique_slug(model, text: str, *, exclude_pk=None, max_length: int = 200) -> str:
    """Return a slug for `text` that no other row of `model` uses."""
    base = (slugify(text, allow_unicode=True) or "item")[: max_length - 8].strip("-") or "item"
    slug, n = base, 2
    queryset = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while queryset.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def product_summary(*, name: str, description: str, skus: Iterable[str],
                    prices: Iterable[Decimal], category_names: Iterable[str],
                    option_values: Iterable[str]) -> dict:
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
        prices.append((price, _validate_price(v.get("compare_at_price"), "compare_at_price", errors)))
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
    for position, (data, sku, (price, compare_at)) in enumerate(zip(variants, skus, prices)):
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


def ensure_category(
    *,
    slug: str,
    name: str,
    parent: Category | None = None,
    description: str = "",
    position: int = 0,
    image=None,
) -> tuple[Category, bool]:
    """Return the category with `slug`, creating it through save_category when missing.

    The flag says whether it was created; an existing category is returned unchanged.
    """
    found = Category.objects.filter(slug=slug).first()
    if found is not None:
        return found, False
    if not slug:
        raise ValidationFailed(
            "The category could not be saved.", errors={"slug": ["Enter a slug."]}
        )
    category = save_category(
        name=name,
        slug=slug,
        parent_id=parent.pk if parent is not None else None,
        description=description,
        position=position,
        image=image,
    )
    return category, True


def ensure_option(*, name: str, values: Sequence[str], position: int = 0) -> dict[str, OptionValue]:
    """Return the option's values by value, creating the option and missing values in order.

    New values are placed after the existing ones, so size XS comes before S and M.
    """
    option, _ = Option.objects.get_or_create(
        slug=slugify(name) or "option", defaults={"name": name, "position": position}
    )
    existing = {value.slug: value for value in option.values.all()}
    next_position = max((value.position for value in existing.values()), default=-1) + 1
    found = {}
    for value in values:
        slug = slugify(value, allow_unicode=True) or "value"
        if slug not in existing:
            existing[slug] = OptionValue.objects.create(
                option=option, value=value, slug=slug, position=next_position
            )
            catalog_changed()
            next_position += 1
        found[value] = existing[slug]
    return found


def store_shared_picture(*, filename: str, content: bytes) -> str:
    """Check a picture that many products show, store it and return its name in storage.

    Bulk loads point many NewPicture(stored_name=...) at one file instead of storing copies. The
    file name identifies the picture: a file already stored under it is reused as it is.
    """
    storage = ProductImage._meta.get_field("image").storage
    name = storage.generate_filename(f"products/shared/{filename}")
    if storage.exists(name):
        return name
    picture = images.validate_image(ContentFile(content, name=filename))
    stem = name.rsplit(".", 1)[0]
    return storage.save(f"{stem}.{images.EXTENSIONS[picture.format]}", ContentFile(picture.content))


@dataclass(frozen=True)
class NewPicture:
    """A picture of a product created in bulk.

    Either `content`, a picture that passes the checks of catalog.images.validate_image and is
    stored re-encoded in the product's folder, or `stored_name`, a file already in storage that
    several products may share (see store_shared_picture); its size is read from the file when
    `width` and `height` are not given.
    """

    alt: str = ""
    content: bytes = b""
    stored_name: str = ""
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class NewVariant:
    """A variant of a product created in bulk; `options` maps option names to values."""

    sku: str
    price: Decimal
    compare_at_price: Decimal | None = None
    weight: Decimal | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    stock: int = 0


@dataclass(frozen=True)
class NewProduct:
    """A product created in bulk; a blank slug is made from the name."""

    name: str
    variants: Sequence[NewVariant] = ()
    description: str = ""
    status: str = Product.Status.DRAFT
    category_ids: Sequence[int] = ()
    pictures: Sequence[NewPicture] = ()
    is_featured: bool = False
    published_at: datetime | None = None
    expected_at: date | None = None
    seo_title: str = ""
    seo_description: str = ""
    slug: str = ""


def _taken(model, field_name: str, values: Iterable[str]) -> set[str]:
    """The values of a unique column that rows of `model` already use."""
    values = sorted({value for value in values if value})
    taken = set()
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        taken.update(
            model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True)
        )
    return taken


def _free_slug(name: str, used: set[str]) -> str:
    """A product slug made from `name` that no product and no slug in `used` has."""
    base = (slugify(name, allow_unicode=True) or "item")[:192].strip("-") or "item"
    slug, n = base, 2
    while slug in used or Product.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _valid_weight(value) -> bool:
    """A weight fits Variant.weight: at least 0 kg, below 100,000, at most three decimals."""
    try:
        weight = Decimal(str(value))
        return 0 <= weight < 100_000 and weight == weight.quantize(Decimal("0.001"))
    except ArithmeticError:
        return False


def _check_picture(picture: NewPicture, stored_sizes: dict) -> tuple:
    """Return (alt, checked picture or None, stored name, width, height) for a NewPicture."""
    alt = picture.alt.strip()[:200]
    if picture.content:
        checked = images.validate_image(ContentFile(picture.content, name="picture"))
        return alt, checked, "", checked.width, checked.height
    name = picture.stored_name
    if not name:
        raise ValidationFailed("A picture needs content or the name of a stored file.")
    if picture.width and picture.height:
        return alt, None, name, picture.width, picture.height
    if name not in stored_sizes:
        storage = ProductImage._meta.get_field("image").storage
        try:
            with storage.open(name) as stored, Image.open(stored) as opened:
                stored_sizes[name] = opened.size
        except OSError:
            raise ValidationFailed(f"{name} is not a stored picture.") from None
    return alt, None, name, *stored_sizes[name]


def _check_new_products(products: Sequence[NewProduct]):
    """Validate a bulk load; return the clean prices, slugs, categories and pictures.

    Pictures with content pass catalog.images.validate_image (and come back re-encoded).
    Raises ValidationFailed listing the problems (the first few of each kind) before any write.
    """
    errors: dict[str, list[str]] = {}

    def add(field_name, message):
        messages = errors.setdefault(field_name, [])
        if len(messages) < 20:
            messages.append(message)

    prices, pictures, stored_sizes = [], [], {}
    for number, product in enumerate(products, start=1):
        label = f"Product {number}"
        name = (product.name or "").strip()
        if not name or len(name) > 200:
            add("name", f"{label}: enter a name of at most 200 characters.")
        if product.status not in Product.Status.values:
            add("status", f"{label}: choose a valid status.")
        product_prices = []
        for variant in product.variants:
            problems: dict[str, list[str]] = {}
            price = _validate_price(variant.price, "price", problems)
            compare_at = _validate_price(variant.compare_at_price, "compare_at_price", problems)
            if price is None and not problems:
                problems["price"] = ["Every variant needs a price."]
            if variant.weight is not None and not _valid_weight(variant.weight):
                problems["weight"] = ["Enter a weight from 0 to 99,999.999 kg."]
            for field_name, messages in problems.items():
                add(field_name, f"{variant.sku or label}: {messages[0]}")
            product_prices.append((price, compare_at))
        prices.append(product_prices)
        product_pictures = []
        for picture in product.pictures:
            try:
                product_pictures.append(_check_picture(picture, stored_sizes))
            except ValidationFailed as error:
                add("pictures", f"{label}: {error.message}")
        pictures.append(product_pictures)

    skus = [str(variant.sku or "").strip() for p in products for variant in p.variants]
    if not all(skus):
        add("variants", "Every variant needs a SKU.")
    if any(len(sku) > 64 for sku in skus):
        add("variants", "A SKU has at most 64 characters.")
    repeated = sorted(sku for sku, count in Counter(skus).items() if sku and count > 1)
    if repeated:
        add("variants", f"SKUs must be unique: {', '.join(repeated[:10])}.")
    taken = _taken(Variant, "sku", skus)
    if taken:
        add("variants", f"SKU already used: {', '.join(sorted(taken)[:10])}.")

    given = [p.slug for p in products if p.slug]
    repeated = sorted(slug for slug, count in Counter(given).items() if count > 1)
    if repeated:
        add("slug", f"Slugs must be unique: {', '.join(repeated[:10])}.")
    taken = _taken(Product, "slug", given)
    if taken:
        add("slug", f"This slug is already used: {', '.join(sorted(taken)[:10])}.")
    if any(len(slug) > 220 or slugify(slug, allow_unicode=True) != slug for slug in given):
        add("slug", "A slug has at most 220 lower-case letters, numbers and hyphens.")

    category_ids = {pk for p in products for pk in p.category_ids}
    categories = Category.objects.in_bulk(list(category_ids))
    if len(categories) != len(category_ids):
        missing = sorted(category_ids - set(categories))
        add("categories", f"No such category: {', '.join(map(str, missing[:10]))}.")

    if errors:
        raise ValidationFailed("The products could not be saved.", errors=errors)
    used = set(given)
    slugs = []
    for product in products:
        slug = product.slug or _free_slug(product.name, used)
        used.add(slug)
        slugs.append(slug)
    return prices, slugs, categories, pictures


@transaction.atomic
def bulk_create_products(
    *, products: Sequence[NewProduct], user=None, batch_size: int = 2000
) -> list[int]:
    """Create many products with their variants, options, categories, pictures and initial stock.

    A few INSERTs per batch of rows instead of queries per product, for imports, benchmarks and
    the demo shop. The lowest price and the search texts go into the rows through
    product_summary, so the search index picks them up on insert; stock starts with "initial"
    ledger lines and prices with their history. Picture renditions are left to the first
    request (easy-thumbnails). Returns the new products' ids in the given order. A blank slug
    costs a query or two; bulk loaders give slugs.
    """
    products = list(products)
    if not products:
        return []
    prices, slugs, categories, pictures = _check_new_products(products)
    now = timezone.now()

    found_values: dict[tuple[str, str], OptionValue] = {}

    def value_of(option_name, value):
        key = (option_name, str(value))
        if key not in found_values:
            found_values[key] = option_value(option_name=option_name, value=str(value))
        return found_values[key]

    rows, variant_rows, variant_values, quantities = [], [], [], []
    for product, slug, product_prices in zip(products, slugs, prices, strict=True):
        description = sanitize_html(product.description)
        values = [
            [value_of(name, value) for name, value in variant.options.items()]
            for variant in product.variants
        ]
        shelves = sorted(
            (categories[pk] for pk in dict.fromkeys(product.category_ids)),
            key=lambda category: (category.position, category.name),
        )
        summary = product_summary(
            name=product.name.strip(),
            description=description,
            skus=[str(variant.sku).strip() for variant in product.variants],
            prices=[price for price, _ in product_prices],
            category_names=[category.name for category in shelves],
            option_values=[value.value for variant in values for value in variant],
        )
        published_at = product.published_at
        if product.status == Product.Status.ACTIVE and published_at is None:
            published_at = now
        rows.append(
            Product(
                name=product.name.strip(),
                slug=slug,
                description=description,
                status=product.status,
                published_at=published_at,
                expected_at=product.expected_at,
                is_featured=product.is_featured,
                seo_title=product.seo_title[:70],
                seo_description=product.seo_description[:160],
                **summary,
            )
        )
        variant_values.extend(values)
        quantities.extend(variant.stock for variant in product.variants)
    Product.objects.bulk_create(rows, batch_size=batch_size)

    Shelf = Product.categories.through
    Shelf.objects.bulk_create(
        [
            Shelf(product_id=row.pk, category_id=pk)
            for row, product in zip(rows, products, strict=True)
            for pk in dict.fromkeys(product.category_ids)
        ],
        batch_size=batch_size,
    )
    for row, product, product_prices in zip(rows, products, prices, strict=True):
        for position, (variant, (price, compare_at)) in enumerate(
            zip(product.variants, product_prices, strict=True)
        ):
            variant_rows.append(
                Variant(
                    product_id=row.pk,
                    sku=str(variant.sku).strip(),
                    price=price,
                    compare_at_price=compare_at,
                    weight=variant.weight,
                    position=position,
                )
            )
    Variant.objects.bulk_create(variant_rows, batch_size=batch_size)
    # Each new variant starts its price history, as in create_product (_record_price_changes).
    changed_by = user if user is not None and user.is_authenticated else None
    PriceChange.objects.bulk_create(
        [
            PriceChange(variant_id=variant.pk, field=name, new_value=value, changed_by=changed_by)
            for variant in variant_rows
            for name, value in zip(
                PriceChange.Field.values, (variant.price, variant.compare_at_price), strict=True
            )
            if value is not None
        ],
        batch_size=batch_size,
    )
    Choice = Variant.option_values.through
    Choice.objects.bulk_create(
        [
            Choice(variant_id=variant.pk, optionvalue_id=pk)
            for variant, values in zip(variant_rows, variant_values, strict=True)
            for pk in dict.fromkeys(value.pk for value in values)
        ],
        batch_size=batch_size,
    )
    inventory.record_initial_stock(
        quantities={
            variant.pk: quantity for variant, quantity in zip(variant_rows, quantities, strict=True)
        },
        user=user,
        batch_size=batch_size,
    )
    _store_pictures(rows, pictures, batch_size=batch_size)
    catalog_changed()
    return [row.pk for row in rows]


def _store_pictures(rows, pictures, *, batch_size):
    """Save new picture files in their products' folders and insert the picture rows.

    Files stored before a failure are deleted again; the caller's transaction undoes the rows.
    """
    field = ProductImage._meta.get_field("image")
    stored, rows_to_insert = [], []
    try:
        for row, product_pictures in zip(rows, pictures, strict=True):
            for position, (alt, checked, name, width, height) in enumerate(product_pictures):
                if checked is not None:
                    name = field.generate_filename(ProductImage(product_id=row.pk), checked.name)
                    name = field.storage.save(
                        name, ContentFile(checked.content), max_length=field.max_length
                    )
                    stored.append(name)
                rows_to_insert.append(
                    ProductImage(
                        product_id=row.pk,
                        image=name,
                        width=width,
                        height=height,
                        alt=alt,
                        position=position,
                    )
                )
        ProductImage.objects.bulk_create(rows_to_insert, batch_size=batch_size)
    except Exception:
        for name in stored:
            field.storage.delete(name)
        raise


# Back office and staff API: products with their variants, prices, bulk changes, categories -----

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


def move_products_to_category(*, product_ids: Iterable[int], category_id: int) -> int:
    """Put products in one category instead of the ones they were in; returns how many."""
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationFailed(
            "Choose a category.", errors={"category": ["Choose an existing category."]}
        )
    with transaction.atomic():
        ids = list(Product.objects.filter(id__in=list(product_ids)).values_list("id", flat=True))
        shelf = Product.categories.through
        shelf.objects.filter(product_id__in=ids).delete()
        shelf.objects.bulk_create([shelf(product_id=pk, category_id=category.pk) for pk in ids])
        Product.objects.filter(id__in=ids).update(updated_at=timezone.now())
        refresh_products(product_ids=ids)
        catalog_changed()
    return len(ids)


def _descendant_ids(category_id: int) -> set[int]:
    """The ids of every category below `category_id`, however deep (one query)."""
    children = {}
    for pk, parent_id in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), list(children.get(category_id, []))
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, []))
    return found


def save_category(
    *,
    category: Category | None = None,
    name: str,
    slug: str = "",
    parent_id: int | None = None,
    description: str = "",
    is_active: bool = True,
    position: int | None = None,
    image=None,
    remove_image: bool = False,
) -> Category:
    """Create or change a category; a new one goes last among its siblings.

    The parent cannot be the category itself or one below it; a picture passes the same checks
    as product pictures.
    """
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    slug = (slug or "").strip()
    own_pk = getattr(category, "pk", None)
    if not name:
        _error(errors, "name", "Enter a name.")
    elif len(name) > 120:
        _error(errors, "name", "Use at most 120 characters.")
    if slug:
        if slugify(slug, allow_unicode=True) != slug or len(slug) > 140:
            _error(errors, "slug", "Use lower-case letters, numbers and hyphens only.")
        elif Category.objects.filter(slug=slug).exclude(pk=own_pk).exists():
            _error(errors, "slug", "Another category has this slug.")
    if parent_id is not None:
        if not Category.objects.filter(pk=parent_id).exists():
            _error(errors, "parent", "Choose an existing category.")
        elif own_pk is not None and (parent_id == own_pk or parent_id in _descendant_ids(own_pk)):
            _error(errors, "parent", "A category cannot be placed inside itself or below itself.")
    position = _whole_number(position, "position", errors)
    picture = None
    if image:
        try:
            picture = images.validate_image(image, field="image")
        except ValidationFailed as error:
            errors.update(error.errors)
    if errors:
        raise ValidationFailed("The category could not be saved.", errors=errors)

    with transaction.atomic():
        if category is None:
            category = Category()
        old_name, old_image = category.name, category.image.name
        if position is None and (category.pk is None or category.parent_id != parent_id):
            last = Category.objects.filter(parent_id=parent_id).aggregate(last=Max("position"))
            position = 0 if last["last"] is None else last["last"] + 1
        category.name = name
        category.slug = slug or category.slug or unique_slug(Category, name, max_length=140)
        category.parent_id = parent_id
        category.description = sanitize_html(description)
        category.is_active = bool(is_active)
        if position is not None:
            category.position = position
        if picture is not None:
            category.image.save(picture.name, ContentFile(picture.content), save=False)
        elif remove_image:
            category.image = ""
        category.save()
        if picture is not None:
            images.generate_renditions(category.image)
        if old_image and old_image != category.image.name:
            storage = category.image.storage
            transaction.on_commit(lambda: storage.delete(old_image))
        if old_name and old_name != name:
            # Category names are part of each product's search text.
            refresh_products(product_ids=category.products.values_list("id", flat=True))
        catalog_changed()
    return category


def move_category(*, category: Category, offset: int) -> None:
    """Move a category `offset` places earlier (negative) or later among its siblings."""
    with transaction.atomic():
        order = list(
            Category.objects.select_for_update(no_key=True)
            .filter(parent_id=category.parent_id)
            .order_by("position", "name", "id")
            .values_list("id", flat=True)
        )
        index = order.index(category.pk)
        target = max(0, min(len(order) - 1, index + offset))
        order.insert(target, order.pop(index))
        for position, pk in enumerate(order):
            Category.objects.filter(pk=pk).update(position=position)
        catalog_changed()


def delete_category(*, category: Category) -> None:
    """Delete an empty category; one still holding products or subcategories is refused."""
    products = category.products.count()
    children = category.children.count()
    if products or children:
        raise Conflict(
            f"“{category.name}” still holds {products} product(s) and {children} "
            "subcategory(ies); move them elsewhere first.",
            code="category_not_empty",
        )
    image = category.image.name
    storage = category.image.storage
    try:
        with transaction.atomic():
            category.delete()
            catalog_changed()
            if image:
                transaction.on_commit(lambda: storage.delete(image))
    except ProtectedError as error:
        raise Conflict(
            f"“{category.name}” is still in use; move what it holds elsewhere first.",
            code="category_not_empty",
        ) from error
