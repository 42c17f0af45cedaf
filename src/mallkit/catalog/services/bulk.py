"""Bulk loading of products, categories and options (demo data, benchmarks, set-up)."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image

from mallkit.core.cache import catalog_changed
from mallkit.core.errors import ValidationFailed
from mallkit.core.text import sanitize_html
from mallkit.inventory import services as inventory

from .. import images
from ..models import Category, Option, OptionValue, PriceChange, Product, ProductImage, Variant
from .categories import save_category
from .products import _validate_price, option_value, product_summary


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
