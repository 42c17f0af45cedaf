"""Exporting products in the import format, and the template file to start from."""

from collections import defaultdict
from collections.abc import Iterator

from mallkit.core.money import format_amount

from ..models import Option, Product, Variant
from .checking import DEFAULT_THRESHOLD
from .rows import CATEGORY_SEPARATOR, COLUMNS, OPTION_PREFIX, chunks, option_slug

EXPORT_BATCH = 2000


def _option_heading(option: Option) -> str:
    # The slug stands in for a name that would not lead back to this option on import.
    name = option.name if option_slug(option.name) == option.slug else option.slug
    return f"{OPTION_PREFIX}{name}"


def _number(value) -> str:
    return "" if value is None else format(value, "f")


def export_rows(*, products=None) -> Iterator[list[str]]:
    """The header and one row per variant, by product then position, in the import format.

    `products`, a Product queryset, narrows the export (every product by default). Rows are
    read as plain values in batches, a fixed number of queries per batch.
    """
    variants = Variant.objects.all()
    if products is not None:
        variants = variants.filter(product__in=products.order_by().values("pk"))
    options = list(
        Option.objects.filter(values__variants__in=variants.values("pk"))
        .distinct()
        .order_by("position", "name", "pk")
    )
    yield [*COLUMNS, *(_option_heading(option) for option in options)]

    rows = variants.order_by("product_id", "position", "pk").values_list(
        "pk",
        "sku",
        "product_id",
        "price",
        "compare_at_price",
        "weight",
        "stock__on_hand",
        "stock__low_stock_threshold",
    )
    batch = []
    for row in rows.iterator(chunk_size=EXPORT_BATCH):
        batch.append(row)
        if len(batch) == EXPORT_BATCH:
            yield from _export_batch(batch, options)
            batch = []
    if batch:
        yield from _export_batch(batch, options)


def _export_batch(batch: list[tuple], options: list[Option]) -> Iterator[list[str]]:
    product_ids = sorted({row[2] for row in batch})
    products, shelves, values = {}, defaultdict(list), defaultdict(dict)
    Shelf, Choice = Product.categories.through, Variant.option_values.through
    for chunk in chunks(product_ids):
        products.update(
            (values[0], values[1:])
            for values in Product.objects.filter(pk__in=chunk).values_list(
                "pk", "slug", "name", "description", "status"
            )
        )
        pairs = (
            Shelf.objects.filter(product_id__in=chunk)
            .order_by("category__position", "category__name")
            .values_list("product_id", "category__slug")
        )
        for product_id, slug in pairs:
            shelves[product_id].append(slug)
    for chunk in chunks(row[0] for row in batch):
        links = Choice.objects.filter(variant_id__in=chunk).values_list(
            "variant_id", "optionvalue__option_id", "optionvalue__value"
        )
        for variant_id, option_id, value in links:
            values[variant_id][option_id] = value
    for pk, sku, product_id, price, compare_at, weight, on_hand, threshold in batch:
        slug, name, description, status = products[product_id]
        yield [
            sku,
            slug,
            name,
            description,
            status,
            CATEGORY_SEPARATOR.join(shelves[product_id]),
            format_amount(price),
            "" if compare_at is None else format_amount(compare_at),
            _number(weight),
            str(on_hand or 0),
            str(DEFAULT_THRESHOLD if threshold is None else threshold),
            *(values[pk].get(option.pk, "") for option in options),
        ]


def template_rows() -> list[list[str]]:
    """A header and two example rows (one product in two sizes) to start a file from."""
    header = [*COLUMNS, f"{OPTION_PREFIX}Colour", f"{OPTION_PREFIX}Size"]
    first = {
        "sku": "TEE-RED-M",
        "product_slug": "organic-cotton-tee",
        "product_name": "Organic cotton tee",
        "description": "<p>Soft organic cotton.</p>",
        "status": Product.Status.DRAFT,
        "price": "19.00",
        "compare_at_price": "24.00",
        "weight": "0.180",
        "stock": "12",
        "low_stock_threshold": "3",
        f"{OPTION_PREFIX}Colour": "Red",
        f"{OPTION_PREFIX}Size": "M",
    }
    # Product columns may stay empty on a product's further rows.
    second = {
        "sku": "TEE-RED-L",
        "product_slug": "organic-cotton-tee",
        "price": "21.00",
        "weight": "0.200",
        "stock": "8",
        f"{OPTION_PREFIX}Colour": "Red",
        f"{OPTION_PREFIX}Size": "L",
    }
    return [header, *([row.get(column, "") for column in header] for row in (first, second))]
