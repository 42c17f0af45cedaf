"""Back-office catalogue reads: the product list with its filters and sorts, one product with
everything its editing pages show, its history, the category tree, and helpers of the editors.

The storefront's reads live in catalog.selectors. As there, every list costs a fixed number of
queries whatever its length.
"""

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from mallkit.core.errors import ValidationFailed
from mallkit.inventory import selectors as stock

from .models import Category, OptionValue, PriceChange, Product, ProductImage, Variant
from .selectors import descendants

STAFF_SORTS = {
    "-updated": ["-updated_at", "-id"],
    "updated": ["updated_at", "id"],
    "name": ["name", "id"],
    "-name": ["-name", "-id"],
    "price": ["price_from", "id"],
    "-price": ["-price_from", "-id"],
    "stock": ["available_units", "id"],
    "-stock": ["-available_units", "-id"],
    "status": ["status", "name", "id"],
}
MAX_VARIANT_COMBINATIONS = 100


@dataclass
class StaffProductFilters:
    """The back office's product list filters: every status is listed unless one is chosen."""

    q: str = ""
    category: Category | None = None
    status: str = ""
    low_stock: bool = False
    sort: str = "-updated"


def staff_products(filters: StaffProductFilters):
    """Products matching the back office's filters, with what each row shows (fixed queries)."""
    queryset = Product.objects.all()
    q = filters.q.strip()
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q)
            | Exists(Variant.objects.filter(product=OuterRef("pk"), sku__icontains=q))
        )
    if filters.category is not None:
        ids = [filters.category.pk, *staff_category_descendants(category=filters.category)]
        queryset = queryset.filter(
            Exists(
                Product.categories.through.objects.filter(
                    product_id=OuterRef("pk"), category_id__in=ids
                )
            )
        )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.low_stock:
        queryset = queryset.filter(stock.low_stock_for_product())
    variant_counts = (
        Variant.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        queryset.annotate(
            variant_count=Coalesce(Subquery(variant_counts, output_field=IntegerField()), 0),
            available_units=stock.available_for_product(),
            is_low=stock.low_stock_for_product(),
        )
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("categories", queryset=Category.objects.order_by("position", "name")),
        )
        .order_by(*STAFF_SORTS.get(filters.sort, STAFF_SORTS["-updated"]))
    )


def staff_product(*, product_id: int) -> Product | None:
    """A product of any status with its variants (stock, options), pictures and categories."""
    return (
        Product.objects.filter(pk=product_id)
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.select_related("stock")
                .prefetch_related(
                    Prefetch("option_values", queryset=OptionValue.objects.select_related("option"))
                )
                .order_by("position", "id"),
            ),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("categories", queryset=Category.objects.order_by("position", "name")),
        )
        .first()
    )


def variant_by_sku(*, sku: str) -> Variant | None:
    return Variant.objects.select_related("product", "stock").filter(sku=sku).first()


def product_status_counts() -> dict[str, int]:
    """How many products have each status (one query); statuses without any count 0."""
    counts = dict.fromkeys(Product.Status.values, 0)
    rows = Product.objects.order_by().values_list("status").annotate(n=Count("id"))
    counts.update(dict(rows))
    return counts


@dataclass(frozen=True)
class HistoryEntry:
    """One change on a product's history: a price (old → new) or a stock movement."""

    kind: str  # "price" or "stock"
    when: datetime
    who: object  # the user, or None when made by the system or a deleted account
    sku: str
    what: str  # "Price", "Compare-at price" or the stock movement's reason
    old_value: Decimal | None = None
    new_value: Decimal | None = None
    change: int | None = None
    after: int | None = None
    note: str = ""


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    number: int
    total: int
    per_page: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number * self.per_page < self.total


def product_history(*, product_id: int, page: int = 1, per_page: int = 20) -> HistoryPage:
    """Price and stock changes of a product's variants, newest first, one page (four queries)."""
    page = max(1, min(page, 500))
    wanted = page * per_page
    prices = [
        HistoryEntry(
            kind="price",
            when=change.changed_at,
            who=change.changed_by,
            sku=change.variant.sku,
            what=change.get_field_display(),
            old_value=change.old_value,
            new_value=change.new_value,
        )
        for change in PriceChange.objects.filter(variant__product_id=product_id)
        .select_related("changed_by", "variant")
        .order_by("-changed_at", "-id")[:wanted]
    ]
    movements = [
        HistoryEntry(
            kind="stock",
            when=movement.created_at,
            who=movement.created_by,
            sku=movement.variant.sku,
            what=movement.get_reason_display(),
            change=movement.on_hand_change,
            after=movement.on_hand_after,
            note=" · ".join(filter(None, [movement.note, movement.reference])),
        )
        for movement in stock.movements_for_product(product_id=product_id, limit=wanted)
    ]
    merged = sorted(prices + movements, key=lambda entry: entry.when, reverse=True)
    price_count = PriceChange.objects.filter(variant__product_id=product_id).count()
    total = price_count + stock.movement_count_for_product(product_id=product_id)
    start = (page - 1) * per_page
    return HistoryPage(
        entries=merged[start : start + per_page], number=page, total=total, per_page=per_page
    )


def staff_category_tree() -> list[Category]:
    """Every category in tree order, with `depth`, `product_count`, `child_count`, `is_first`
    and `is_last` (among its siblings) set on each (one query)."""
    categories = list(
        Category.objects.annotate(product_count=Count("products", distinct=True)).order_by(
            "position", "name", "id"
        )
    )
    children = defaultdict(list)
    for category in categories:
        children[category.parent_id].append(category)
    ordered, seen = [], set()

    def walk(parent_id, depth):
        siblings = children.get(parent_id, [])
        for index, category in enumerate(siblings):
            if category.pk in seen:
                continue
            seen.add(category.pk)
            category.depth = depth
            category.child_count = len(children.get(category.pk, []))
            category.is_first = index == 0
            category.is_last = index == len(siblings) - 1
            ordered.append(category)
            walk(category.pk, depth + 1)

    walk(None, 0)
    return ordered


def staff_category_descendants(*, category: Category) -> list[int]:
    """The ids of every category below `category`, shown or hidden (one query)."""
    return descendants(Category.objects.all(), start=[category.pk])[1:]


def suggest_sku_prefix(*, name: str) -> str:
    """A short SKU prefix from a product name: "Linen Camp Shirt" gives "LCS"."""
    words = slugify(name).upper().split("-")
    words = [word for word in words if word]
    if not words:
        return "SKU"
    if len(words) == 1:
        return words[0][:6]
    return "".join(word[0] for word in words[:5])


def variant_combinations(
    *, options: Sequence[tuple[str, Sequence[str]]], sku_prefix: str
) -> list[dict]:
    """Every combination of option values, such as colour × size, each with a suggested SKU.

    Returns [{"options": {"Colour": "Red", "Size": "M"}, "sku": "LCS-RED-M"}, ...] in the order
    the values were given.
    """
    options = [(name, list(dict.fromkeys(values))) for name, values in options if values]
    total = 1
    for _, values in options:
        total *= len(values)
    if total > MAX_VARIANT_COMBINATIONS:
        message = f"{total} combinations are too many; make at most {MAX_VARIANT_COMBINATIONS}."
        raise ValidationFailed(message, errors={"options": [message]})
    prefix = slugify(sku_prefix).upper() or "SKU"
    combinations = []
    for values in itertools.product(*(values for _, values in options)) if options else []:
        parts = [slugify(value).upper() or str(index) for index, value in enumerate(values, 1)]
        combinations.append(
            {
                "options": dict(zip((name for name, _ in options), values, strict=True)),
                "sku": "-".join([prefix, *parts])[:64],
            }
        )
    return combinations


def staff_variant(*, variant_id: int) -> Variant | None:
    return (
        Variant.objects.select_related("product", "stock")
        .prefetch_related(
            Prefetch("option_values", queryset=OptionValue.objects.select_related("option"))
        )
        .filter(pk=variant_id)
        .first()
    )


def staff_picture(*, picture_id: int) -> ProductImage | None:
    return ProductImage.objects.select_related("product").filter(pk=picture_id).first()


def staff_category(*, category_id: int) -> Category | None:
    """A category, shown or hidden, with how many products and subcategories it holds."""
    return (
        Category.objects.annotate(
            product_count=Count("products", distinct=True),
            child_count=Count("children", distinct=True),
        )
        .filter(pk=category_id)
        .first()
    )
