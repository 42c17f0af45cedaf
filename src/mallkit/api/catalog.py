"""Catalogue endpoints: categories, the product list with its filters, and one product.

The product list is the same for every caller, so anonymous calls share one answer per address
until the catalogue changes (mallkit.core.cache); calls with credentials are answered afresh.
A product's details are not cached: they give each variant's exact units available, which
every order changes, while the pages and the list only change when stock runs low.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import ValidationInfo, field_validator

from mallkit.catalog import selectors
from mallkit.core.cache import cache_anonymous_page
from mallkit.core.errors import NotFound, ValidationFailed
from mallkit.core.money import default_currency, format_amount, parse_amount
from mallkit.core.text import sanitize_html

from .common import InputStr, PageParams, error_responses, paginate

router = Router(tags=["catalogue"])

MAX_QUERY_LENGTH = 200
MAX_OPTION_FILTERS = 20
Sort = Literal["newest", "price", "-price", "name", "relevance"]


def prices_shown() -> bool:
    """A showcase shop may hide its prices; the API then hides them too."""
    return settings.MALLKIT_MODE != "showcase" or settings.MALLKIT_SHOWCASE_SHOW_PRICES


def money(amount) -> str | None:
    return format_amount(amount) if amount is not None and prices_shown() else None


class InvalidParameter(ValidationFailed):
    """A parameter is well formed but names nothing; answered like schema errors (422)."""

    status = 422


# Schemas -----------------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    parent: int | None = Field(description="The id of the parent category, null at the top.")
    description: str
    position: int
    image: str | None = Field(description="The URL of the category's picture.")
    product_count: int = Field(
        description="Products on sale or coming soon directly in this category."
    )

    @staticmethod
    def resolve_parent(category) -> int | None:
        return category.parent_id

    @staticmethod
    def resolve_image(category) -> str | None:
        return category.image.url if category.image else None


class CategoryListOut(Schema):
    items: list[CategoryOut]
    count: int


class ProductQuery(PageParams):
    q: InputStr = Field(
        "",
        max_length=MAX_QUERY_LENGTH,
        description="Words to search for in names, SKUs, descriptions and options.",
    )
    category: InputStr | None = Field(
        None, max_length=140, description="A category slug; its subcategories are included."
    )
    min_price: Decimal | None = Field(None, description='The lowest price, e.g. "10" or "9.90".')
    max_price: Decimal | None = Field(None, description="The highest price.")
    in_stock: bool = Field(False, description="Only products with a variant in stock.")
    sort: Sort | None = Field(
        None, description="The order; relevance when searching, newest otherwise."
    )
    option: list[InputStr] = Field(
        default_factory=list,
        max_length=MAX_OPTION_FILTERS,
        description=(
            "Option filters as option-slug:value-slug, e.g. colour:red; repeatable. Values of one "
            "option add up; different options must meet in one variant (colour:red and size:m: "
            "a red M)."
        ),
    )

    @field_validator("min_price", "max_price", mode="before")
    @classmethod
    def _amount(cls, value):
        if value is None or value == "":
            return None
        try:
            return parse_amount(value)
        except ArithmeticError:
            raise ValueError(f"“{value}” is not a valid amount.") from None

    @field_validator("max_price")
    @classmethod
    def _not_below_min_price(cls, value, info: ValidationInfo):
        low = info.data.get("min_price")
        if value is not None and low is not None and value < low:
            raise ValueError("The highest price cannot be below the lowest price.")
        return value

    @field_validator("option")
    @classmethod
    def _option_pairs(cls, values: list[str]) -> list[str]:
        for value in values:
            option, _, choice = value.partition(":")
            if not option.strip() or not choice.strip():
                raise ValueError("Write each option as option-slug:value-slug, e.g. colour:red.")
        return values

    def options(self) -> dict[str, list[str]]:
        chosen: dict[str, list[str]] = {}
        for value in self.option:
            option, _, choice = value.partition(":")
            chosen.setdefault(option.strip(), []).append(choice.strip())
        return chosen


class ProductCardOut(Schema):
    id: int
    name: str
    slug: str
    url: str = Field(description="The product's page in the shop.")
    status: Literal["active", "coming_soon"]
    is_new: bool
    is_featured: bool
    price_from: str | None = Field(description='The lowest variant price, e.g. "29.90".')
    compare_at_price: str | None = Field(
        description="The former price of the cheapest variant when it is on sale."
    )
    currency: str
    in_stock: bool
    image: str | None = Field(description="The URL of the first picture.")
    categories: list[str] = Field(description="Slugs of the categories the product is in.")

    @staticmethod
    def resolve_url(product) -> str:
        return product.get_absolute_url()

    @staticmethod
    def resolve_price_from(product) -> str | None:
        return money(selectors.card_price(product).amount)

    @staticmethod
    def resolve_compare_at_price(product) -> str | None:
        return money(selectors.card_price(product).compare_at)

    @staticmethod
    def resolve_currency(product) -> str:
        return default_currency()

    @staticmethod
    def resolve_image(product) -> str | None:
        first = next(iter(product.images.all()), None)
        return first.image.url if first is not None else None

    @staticmethod
    def resolve_categories(product) -> list[str]:
        return [category.slug for category in product.shown_categories]


class ProductListOut(Schema):
    items: list[ProductCardOut]
    count: int


class ImageOut(Schema):
    url: str
    alt: str
    width: int | None
    height: int | None
    position: int

    @staticmethod
    def resolve_url(image) -> str:
        return image.image.url


class VariantOut(Schema):
    id: int
    sku: str
    price: str | None = Field(description='A decimal string, e.g. "129.00".')
    compare_at_price: str | None = Field(description="The former price when on sale.")
    currency: str
    in_stock: bool
    available: int = Field(description="Units that can be ordered now.")
    options: dict[str, str] = Field(description='Option names and values, e.g. {"Colour": "Red"}.')
    weight: str | None = Field(description='Kilograms as a decimal string, e.g. "0.250".')

    @staticmethod
    def resolve_price(variant) -> str | None:
        return money(variant.price)

    @staticmethod
    def resolve_compare_at_price(variant) -> str | None:
        return money(variant.compare_at_price) if variant.is_on_sale else None

    @staticmethod
    def resolve_currency(variant) -> str:
        return default_currency()

    @staticmethod
    def resolve_available(variant) -> int:
        return selectors.variant_stock(variant).available

    @staticmethod
    def resolve_options(variant) -> dict[str, str]:
        return {value.option.name: value.value for value in variant.option_values.all()}

    @staticmethod
    def resolve_weight(variant) -> str | None:
        return str(variant.weight) if variant.weight is not None else None


class ProductDetailOut(ProductCardOut):
    description: str = Field(description="Sanitised HTML.")
    published_at: datetime | None
    expected_at: date | None = Field(description="When a coming-soon product arrives.")
    seo_title: str
    seo_description: str
    purchasable: bool = Field(description="Whether a shopper can put it in the cart now.")
    images: list[ImageOut]
    variants: list[VariantOut]

    @staticmethod
    def resolve_description(product) -> str:
        return sanitize_html(product.description)

    @staticmethod
    def resolve_in_stock(product) -> bool:
        return any(variant.in_stock for variant in product.variants.all())

    @staticmethod
    def resolve_categories(product) -> list[str]:
        return [category.slug for category in product.categories.all() if category.is_active]

    @staticmethod
    def resolve_purchasable(product) -> bool:
        return selectors.can_buy(product)


# Endpoints ---------------------------------------------------------------------------------------


@router.get(
    "/categories",
    response={200: CategoryListOut, **error_responses(422)},
    summary="List the categories",
    description="Every shown category in tree order (not paged: menus need the whole tree).",
)
def list_categories(request):
    categories = selectors.active_categories()
    return {"items": categories, "count": len(categories)}


def product_filters(params: ProductQuery) -> selectors.ProductFilters:
    category = None
    if params.category:
        category = selectors.category_by_slug(slug=params.category)
        if category is None:
            raise InvalidParameter(
                "Some values are not valid: category.",
                errors={"category": ["There is no category with this slug."]},
            )
    return selectors.ProductFilters(
        q=params.q,
        category=category,
        min_price=params.min_price,
        max_price=params.max_price,
        in_stock=params.in_stock,
        options=params.options(),
        sort=params.sort or "",
    )


@router.get(
    "/products",
    response={200: ProductListOut, **error_responses(422)},
    summary="List and search products",
)
@decorate_view(cache_anonymous_page)
def list_products(request, params: Query[ProductQuery]):
    products = selectors.with_shown_categories(selectors.list_products(product_filters(params)))
    return paginate(products, page=params.page, page_size=params.page_size)


@router.get(
    "/products/{slug}",
    response={200: ProductDetailOut, **error_responses(404, 422)},
    summary="Show one product",
)
def get_product(request, slug: InputStr):
    product = selectors.product_detail(slug=slug)
    if product is None:
        raise NotFound("There is no product with this slug.")
    return product
