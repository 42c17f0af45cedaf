"""Catalogue reads for the storefront and the API (the back office's are in staff_selectors).

Every list here costs a fixed number of queries whatever the page size, the number of pictures
or of variants: related rows come through select_related / prefetch_related.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from mallkit.inventory import selectors as stock

from . import search
from .models import Category, Option, OptionValue, Product, ProductImage, Variant
from .search import apply_search

# NULLs (coming-soon products with no publish date, products with no variant yet) sort last on
# both engines; SQLite and PostgreSQL would otherwise put them at opposite ends.
SORTS = {
    "newest": [F("published_at").desc(nulls_last=True), "-id"],
    "price": [F("price_from").asc(nulls_last=True), "id"],
    "-price": [F("price_from").desc(nulls_last=True), "-id"],
    "name": ["name", "id"],
    "relevance": ["-search_rank", "-id"],
}
RESERVED_PARAMS = {
    "q",
    "page",
    "page_size",
    "sort",
    "min_price",
    "max_price",
    "in_stock",
    "category",
}


def visible_products():
    return Product.objects.visible()


def with_card_data(queryset):
    """Add what a product card shows: pictures, variants with options, stock flag."""
    return queryset.annotate(in_stock=stock.in_stock_for_product()).prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
    )


def with_shown_categories(queryset):
    """Prefetch each product's shown categories into `.shown_categories` (one query)."""
    return queryset.prefetch_related(
        Prefetch(
            "categories",
            queryset=Category.objects.filter(is_active=True).order_by("position", "name"),
            to_attr="shown_categories",
        )
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
    categories = Category.objects.select_related("parent__parent")
    return categories.filter(slug=slug, is_active=True).first()


def descendants(categories, *, start: list[int]) -> list[int]:
    """The ids in `start` and of every category below them among `categories` (a QuerySet of
    Category; one query)."""
    children = defaultdict(list)
    for pk, parent_id in categories.values_list("id", "parent_id"):
        children[parent_id].append(pk)
    found, stack = [], list(start)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.append(pk)
            stack.extend(children.get(pk, []))
    return found


def category_descendant_ids(*, category: Category) -> list[int]:
    """The ids of a category and all categories below it (one query)."""
    return descendants(Category.objects.filter(is_active=True), start=[category.pk])


def home_sections(*, limit: int = 8) -> dict:
    """What the home page shows: featured, new arrivals, coming soon and categories."""
    now = timezone.now()
    visible = Product.objects.visible(now)
    new_since = now - timedelta(days=settings.MALLKIT_NEW_PRODUCT_DAYS)
    return {
        "featured": list(
            with_card_data(visible.filter(is_featured=True)).order_by("-published_at", "-id")[
                :limit
            ]
        ),
        "new_arrivals": list(
            with_card_data(
                visible.filter(status=Product.Status.ACTIVE, published_at__gte=new_since)
            ).order_by("-published_at", "-id")[:limit]
        ),
        "coming_soon": list(
            with_card_data(visible.filter(status=Product.Status.COMING_SOON)).order_by(
                "expected_at", "-id"
            )[:limit]
        ),
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


def _chosen_variants(filters: ProductFilters, *, skip_option=None, skip_stock=False):
    """Variants with every chosen option value, and in stock when asked: "Red" and "M" mean a
    red M, not a red S beside a blue M. None when no option is chosen."""
    chosen = {
        slug: values for slug, values in filters.options.items() if slug != skip_option and values
    }
    if not chosen:
        return None
    variants = Variant.objects.all()
    for option_slug, value_slugs in chosen.items():
        variants = variants.filter(
            Exists(
                Variant.option_values.through.objects.filter(
                    variant_id=OuterRef("pk"),
                    optionvalue__option__slug=option_slug,
                    optionvalue__slug__in=value_slugs,
                )
            )
        )
    if filters.in_stock and not skip_stock:
        variants = variants.filter(stock.in_stock_for_variant())
    return variants


def filter_products(
    filters: ProductFilters, *, skip_option: str | None = None, skip_stock: bool = False
):
    """Visible products matching the filters (unsorted, no card data)."""
    queryset = visible_products()
    if filters.category is not None:
        # Products of the category's links (read through the category index), rather than a
        # test of every visible product: 200 -> 40 ms to count a big category of 100,000.
        queryset = queryset.filter(
            pk__in=Product.categories.through.objects.filter(
                category_id__in=category_descendant_ids(category=filters.category)
            ).values("product_id")
        )
    if filters.q:
        queryset = apply_search(queryset, filters.q)
    if filters.min_price is not None:
        queryset = queryset.filter(price_from__gte=filters.min_price)
    if filters.max_price is not None:
        queryset = queryset.filter(price_from__lte=filters.max_price)
    variants = _chosen_variants(filters, skip_option=skip_option, skip_stock=skip_stock)
    if variants is not None:
        # One variant must have all the chosen values (and the stock, when asked).
        queryset = queryset.filter(Exists(variants.filter(product=OuterRef("pk"))))
    elif filters.in_stock and not skip_stock:
        queryset = queryset.filter(stock.in_stock_for_product())
    return queryset


def list_products(filters: ProductFilters):
    """The sorted product list for a listing page or the API, with card data."""
    sort = filters.sort if filters.sort in SORTS else ""
    if not sort:
        sort = "relevance" if filters.q else "newest"
    if sort == "relevance" and not filters.q:
        sort = "newest"
    products = filter_products(filters)
    if sort == "relevance":
        products = search.ranked(products, filters.q)
    return with_card_data(products).order_by(*SORTS[sort])


@dataclass
class Facet:
    option: Option
    values: list  # [(OptionValue, count, selected)]


def facets(filters: ProductFilters) -> dict:
    """Counts for each filter choice given the other filters (one query per option): how many
    products a choice would list, with a variant that has it and the other chosen values."""
    in_stock_count = filter_products(replace(filters, in_stock=True)).count()
    option_facets = []
    value_rows = (
        OptionValue.objects.filter(
            variants__product__in=filter_products(
                ProductFilters(q=filters.q, category=filters.category)
            ).values("id")
        )
        .select_related("option")
        .distinct()
    )
    by_option = defaultdict(list)
    for value in value_rows:
        by_option[value.option].append(value)
    for option in sorted(by_option, key=lambda o: (o.position, o.name)):
        scoped = filter_products(filters, skip_option=option.slug)
        variants = _chosen_variants(filters, skip_option=option.slug)
        if variants is None:
            variants = Variant.objects.all()
            if filters.in_stock:
                variants = variants.filter(stock.in_stock_for_variant())
        counts = dict(
            OptionValue.objects.filter(
                option=option,
                variants__in=variants.filter(product__in=scoped.values("id")).values("id"),
            )
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
                    Prefetch("option_values", queryset=OptionValue.objects.select_related("option"))
                ),
            ),
            Prefetch(
                "categories",
                queryset=Category.objects.filter(is_active=True).select_related("parent__parent"),
            ),
        )
        .first()
    )


def can_buy(product: Product) -> bool:
    """Whether a shopper can buy the product now: the shop sells, the product is on sale and a
    variant has stock (reads variants prefetched with `in_stock`, as product_detail does)."""
    return (
        settings.MALLKIT_MODE == "shop"
        and product.is_purchasable
        and any(getattr(variant, "in_stock", False) for variant in product.variants.all())
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


def sitemap_categories():
    return Category.objects.filter(is_active=True).only("slug", "updated_at").order_by("id")


def child_categories(*, category: Category) -> list[Category]:
    """The shown categories one level below `category`, for the links atop its page."""
    return list(
        Category.objects.filter(parent=category, is_active=True).order_by("position", "name")
    )


def option_slugs() -> set[str]:
    """The slug of every option, so listing pages tell option filters from other parameters."""
    return set(Option.objects.values_list("slug", flat=True))


@dataclass(frozen=True)
class CardPrice:
    """The price a product card shows."""

    amount: Decimal | None
    compare_at: Decimal | None  # the cheapest variant's former price when it is on sale
    varies: bool  # the variants cost different amounts, so the card says "from"
    on_sale: bool  # any variant is on sale


def card_price(product: Product) -> CardPrice:
    """The price of a product's card, read from its prefetched variants (no query)."""
    variants = list(product.variants.all())
    if not variants:
        return CardPrice(amount=None, compare_at=None, varies=False, on_sale=False)
    cheapest = min(variants, key=lambda v: (v.price, v.position, v.pk))
    return CardPrice(
        amount=cheapest.price,
        compare_at=cheapest.compare_at_price if cheapest.is_on_sale else None,
        varies=len({v.price for v in variants}) > 1,
        on_sale=any(v.is_on_sale for v in variants),
    )


@dataclass(frozen=True)
class StockStatus:
    """How much of a variant a shopper can have: `code` is "in_stock", "low" or "out"."""

    code: str
    available: int


def variant_stock(variant: Variant) -> StockStatus:
    """The stock status of a variant from its select_related stock level (no query)."""
    try:
        level = variant.stock
    except ObjectDoesNotExist:
        return StockStatus(code="out", available=0)
    if level is None or level.available <= 0:
        return StockStatus(code="out", available=0)
    return StockStatus(code="low" if level.is_low else "in_stock", available=level.available)


def choose_variant(product: Product, *, selection: Mapping[str, str]) -> Variant | None:
    """The variant matching the chosen option values (option slug -> value slug).

    Choices for options the product does not have are ignored. Among the matches, one in stock
    wins; None means the chosen combination does not exist. Reads prefetched variants only.
    """
    variants = list(product.variants.all())
    product_options = {
        value.option.slug for variant in variants for value in variant.option_values.all()
    }
    wanted = {slug: value for slug, value in selection.items() if slug in product_options}
    matches = [
        variant
        for variant in variants
        if wanted.items()
        <= {(value.option.slug, value.slug) for value in variant.option_values.all()}
    ]
    for variant in matches:
        if getattr(variant, "in_stock", False):
            return variant
    return matches[0] if matches else None
