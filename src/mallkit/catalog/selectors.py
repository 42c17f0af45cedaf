"""Catalogue reads for the storefront, the API and the back office.

Every list here costs a fixed number of queries whatever the page size, the number of pictures
or of variants: related rows come through select_related / prefetch_related.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from mallkit.inventory import selectors as stock

from .models import Category, Option, OptionValue, Product, ProductImage, Variant
from .search import apply_search

SORTS = {
    "newest": ["-published_at", "-id"],
    "price": ["price_from", "id"],
    "-price": ["-price_from", "-id"],
    "name": ["name", "id"],
    "relevance": ["-search_rank", "-id"],
}
RESERVED_PARAMS = {"q", "page", "page_size", "sort", "min_price", "max_price", "in_stock",
                   "category"}


def visible_products():
    return Product.objects.visible()


def with_card_data(queryset):
    """Add what a product card shows: pictures, variants with options, stock flag."""
    return queryset.annotate(in_stock=stock.in_stock_for_product()).prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
    )


def active_categories():
    """Every shown category, in tree order, with the number of visible products in each."""
    return list(
        Category.objects.filter(is_active=True)
        .annotate(
            product_count=Count(
                "products",
                filter=Q(products__in=Product.objects.visible().values("id")),
                distinct=True,
            )
        )
        .order_by("position", "name")
    )


def category_tree():
    """Top-level categories with `.subcategories` filled in, for menus (one query)."""
    categories = list(Category.objects.filter(is_active=True).order_by("position", "name"))
    children = defaultdict(list)
    for category in categories:
        children[category.parent_id].append(category)
    for category in categories:
        category.subcategories = children.get(category.pk, [])
    return children.get(None, [])


def category_by_slug(*, slug: str) -> Category | None:
    return Category.objects.select_related("parent__parent").filter(slug=slug, is_active=True).first()


def category_descendant_ids(*, category: Category) -> list[int]:
    """The ids of a category and all categories below it (one query)."""
    children = defaultdict(list)
    for pk, parent_id in Category.objects.filter(is_active=True).values_list("id", "parent_id"):
        children[parent_id].append(pk)
    found, stack = [], [category.pk]
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.append(pk)
            stack.extend(children.get(pk, []))
    return found


def home_sections(*, limit: int = 8) -> dict:
    """What the home page shows: featured, new arrivals, coming soon and categories."""
    now = timezone.now()
    visible = Product.objects.visible(now)
    new_since = now - timedelta(days=settings.MALLKIT_NEW_PRODUCT_DAYS)
    return {
        "featured": list(with_card_data(visible.filter(is_featured=True)).order_by(
            "-published_at", "-id")[:limit]),
        "new_arrivals": list(with_card_data(visible.filter(
            status=Product.Status.ACTIVE, published_at__gte=new_since)).order_by(
            "-published_at", "-id")[:limit]),
        "coming_soon": list(with_card_data(visible.filter(
            status=Product.Status.COMING_SOON)).order_by("expected_at", "-id")[:limit]),
        "categories": category_tree()[:12],
    }


@dataclass
class ProductFilters:
    """Filters a shopper or API client can apply to a product list; all optional."""

    q: str = ""
    category: Category | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False
    options: dict[str, list[str]] = field(default_factory=dict)  # option slug -> value slugs
    sort: str = ""


def _option_filter(option_slug: str, value_slugs: list[str]):
    return Exists(
        Variant.objects.filter(
            product=OuterRef("pk"),
            option_values__option__slug=option_slug,
            option_values__slug__in=value_slugs,
        )
    )


def filter_products(filters: ProductFilters, *, skip_option: str | None = None,
                    skip_stock: bool = False):
    """Visible products matching the filters (unsorted, no card data)."""
    queryset = visible_products()
    if filters.category is not None:
        queryset = queryset.filter(
            Exists(
                Product.categories.through.objects.filter(
                    product_id=OuterRef("pk"),
                    category_id__in=category_descendant_ids(category=filters.category),
                )
            )
        )
    if filters.q:
        queryset = apply_search(queryset, filters.q)
    if filters.min_price is not None:
        queryset = queryset.filter(price_from__gte=filters.min_price)
    if filters.max_price is not None:
        queryset = queryset.filter(price_from__lte=filters.max_price)
    if filters.in_stock and not skip_stock:
        queryset = queryset.filter(stock.in_stock_for_product())
    for option_slug, value_slugs in filters.options.items():
        if option_slug != skip_option and value_slugs:
            queryset = queryset.filter(_option_filter(option_slug, value_slugs))
    return queryset


def list_products(filters: ProductFilters):
    """The sorted product list for a listing page or the API, with card data."""
    sort = filters.sort if filters.sort in SORTS else ""
    if not sort:
        sort = "relevance" if filters.q else "newest"
    if sort == "relevance" and not filters.q:
        sort = "newest"
    return with_card_data(filter_products(filters)).order_by(*SORTS[sort])


@dataclass
class Facet:
    option: Option
    values: list  # [(OptionValue, count, selected)]


def facets(filters: ProductFilters) -> dict:
    """Counts for each filter choice given the other filters (one query per option)."""
    in_stock_count = filter_products(filters, skip_stock=True).filter(
        stock.in_stock_for_product()
    ).count()
    option_facets = []
    value_rows = (
        OptionValue.objects.filter(variants__product__in=filter_products(
            ProductFilters(q=filters.q, category=filters.category)).values("id"))
        .select_related("option")
        .distinct()
    )
    by_option = defaultdict(list)
    for value in value_rows:
        by_option[value.option].append(value)
    for option in sorted(by_option, key=lambda o: (o.position, o.name)):
        scoped = filter_products(filters, skip_option=option.slug)
        counts = dict(
            OptionValue.objects.filter(option=option, variants__product__in=scoped.values("id"))
            .annotate(n=Count("variants__product", distinct=True))
            .values_list("id", "n")
        )
        selected = set(filters.options.get(option.slug, []))
        values = sorted(by_option[option], key=lambda v: (v.position, v.value))
        option_facets.append(
            Facet(option, [(v, counts.get(v.id, 0), v.slug in selected) for v in values])
        )
    return {"options": option_facets, "in_stock_count": in_stock_count}


def product_detail(*, slug: str) -> Product | None:
    """A visible product with everything its page shows, or None."""
    return (
        Product.objects.visible()
        .filter(slug=slug)
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch(
                "variants",
                queryset=Variant.objects.order_by("position", "id")
                .annotate(in_stock=stock.in_stock_for_variant())
                .select_related("stock")
                .prefetch_related(
                    Prefetch("option_values",
                             queryset=OptionValue.objects.select_related("option"))
                ),
            ),
            Prefetch("categories", queryset=Category.objects.select_related("parent__parent")),
        )
        .first()
    )


def variant_options(product: Product) -> list[dict]:
    """The option choices of a product's variants: [{"option", "values": [OptionValue]}]."""
    seen = {}
    for variant in product.variants.all():
        for value in variant.option_values.all():
            entry = seen.setdefault(value.option.pk, {"option": value.option, "values": []})
            if value not in entry["values"]:
                entry["values"].append(value)
    return sorted(seen.values(), key=lambda e: (e["option"].position, e["option"].name))


def breadcrumbs(product: Product) -> list[Category]:
    """The path to the product's first category (from prefetched categories)."""
    categories = sorted(product.categories.all(), key=lambda c: (c.position, c.pk))
    if not categories:
        return []
    first = categories[0]
    return [*first.ancestors(), first]


def sitemap_products():
    return Product.objects.visible().only("slug", "updated_at").order_by("id")
