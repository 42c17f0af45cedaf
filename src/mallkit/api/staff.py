"""The staff API: the back office's catalogue and stock changes for programs.

Every endpoint takes the same permissions as the back office's pages. Authentication is checked
before the input is read: no credentials answer 401, a shopper or a role without the
endpoint's permission 403, so a forbidden caller learns nothing from validation errors.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict

from mallkit.catalog import images, services, staff_selectors
from mallkit.catalog.models import Product
from mallkit.core.errors import NotFound, PermissionDenied
from mallkit.core.money import default_currency, format_amount

from .common import InputStr, SessionAuth, TokenAuth, error_responses

ProductStatus = Literal["draft", "active", "coming_soon", "archived"]
Quantity = Annotated[int, Field(ge=0, le=2**31 - 1, strict=True)]
PRICE_FIELDS = {"price", "compare_at_price", "weight"}
ALT_TEXT = Form("", max_length=200, description="What the picture shows.")
STOCK_FIELDS = {"stock", "low_stock_threshold"}


def _check(user, permissions=(), any_of=()):
    """Let active staff through who hold every permission and, if given, one of `any_of`."""
    if not (user.is_active and user.is_staff):
        raise PermissionDenied("Only the shop's staff can use this endpoint.")
    if not user.has_perms(permissions) or (any_of and not any(user.has_perm(p) for p in any_of)):
        raise PermissionDenied("Your role does not allow this.")
    return user


class StaffTokenAuth(TokenAuth):
    """A bearer token of a member of staff holding the endpoint's permissions."""

    def __init__(self, permissions=(), any_of=()):
        super().__init__()
        self.permissions, self.any_of = tuple(permissions), tuple(any_of)

    def authenticate(self, request, token):
        user = super().authenticate(request, token)
        return _check(user, self.permissions, self.any_of) if user else None


class StaffSessionAuth(SessionAuth):
    """The back office's session (with its CSRF token) of staff holding the permissions."""

    def __init__(self, permissions=(), any_of=()):
        super().__init__()
        self.permissions, self.any_of = tuple(permissions), tuple(any_of)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return _check(user, self.permissions, self.any_of) if user else None


def staff(*permissions: str, any_of=()):
    return [StaffTokenAuth(permissions, any_of), StaffSessionAuth(permissions, any_of)]


router = Router(tags=["staff"])


# Schemas -----------------------------------------------------------------------------------------


class VariantIn(Schema):
    sku: InputStr = Field(max_length=64)
    price: str = Field(description='A decimal string such as "39.00".')
    compare_at_price: str | None = Field(None, description="The former price, shown struck.")
    weight: str | None = Field(None, description='Kilograms as a decimal string ("0.250").')
    options: dict[InputStr, InputStr] = Field(
        default_factory=dict, description='Option values by option, e.g. {"Size": "M"}.'
    )
    stock: Quantity = Field(0, description="Units on hand to start with (an initial ledger line).")
    low_stock_threshold: Quantity | None = None


class ProductIn(Schema):
    name: InputStr
    slug: InputStr = Field("", description="Made from the name when empty.")
    description: InputStr = Field("", description="HTML; sanitised before it is stored.")
    status: ProductStatus = "draft"
    published_at: datetime | None = None
    expected_at: date | None = None
    is_featured: bool = False
    seo_title: InputStr = ""
    seo_description: InputStr = ""
    category_ids: list[int] = Field(default_factory=list)
    variants: list[VariantIn] = Field(description="At least one.")


class ProductPatch(Schema):
    """Only the fields sent change; variants change through PATCH /staff/variants/{sku}."""

    model_config = ConfigDict(extra="forbid")

    name: InputStr | None = None
    slug: InputStr | None = None
    description: InputStr | None = None
    status: ProductStatus | None = None
    published_at: datetime | None = None
    expected_at: date | None = None
    is_featured: bool | None = None
    seo_title: InputStr | None = None
    seo_description: InputStr | None = None
    category_ids: list[int] | None = None


class VariantPatch(Schema):
    """Only the fields sent change. Prices need catalog.change_variant, stock
    inventory.change_stocklevel; a new stock figure is a stock-take (a correction)."""

    model_config = ConfigDict(extra="forbid")

    price: str | None = None
    compare_at_price: str | None = Field(None, description="null removes it.")
    weight: str | None = None
    stock: Quantity | None = Field(None, description="The units on hand after a count.")
    low_stock_threshold: Quantity | None = None


def _money(amount):
    return format_amount(amount) if amount is not None else None


class StaffVariantOut(Schema):
    id: int
    sku: str
    options: dict[str, str]
    price: str
    compare_at_price: str | None
    weight: str | None
    currency: str
    stock: int = Field(description="Units on hand.")
    allocated: int = Field(description="Units promised to orders.")
    available: int
    low_stock_threshold: int

    @staticmethod
    def resolve_options(variant) -> dict[str, str]:
        return {value.option.name: value.value for value in variant.option_values.all()}

    @staticmethod
    def resolve_price(variant) -> str:
        return _money(variant.price)

    @staticmethod
    def resolve_compare_at_price(variant) -> str | None:
        return _money(variant.compare_at_price)

    @staticmethod
    def resolve_weight(variant) -> str | None:
        return str(variant.weight) if variant.weight is not None else None

    @staticmethod
    def resolve_currency(variant) -> str:
        return default_currency()

    @staticmethod
    def resolve_stock(variant) -> int:
        level = getattr(variant, "stock", None)
        return level.on_hand if level else 0

    @staticmethod
    def resolve_allocated(variant) -> int:
        level = getattr(variant, "stock", None)
        return level.allocated if level else 0

    @staticmethod
    def resolve_available(variant) -> int:
        level = getattr(variant, "stock", None)
        return level.available if level else 0

    @staticmethod
    def resolve_low_stock_threshold(variant) -> int:
        level = getattr(variant, "stock", None)
        return level.low_stock_threshold if level else 5


class StaffImageOut(Schema):
    id: int
    url: str
    alt: str
    width: int | None
    height: int | None
    position: int

    @staticmethod
    def resolve_url(image) -> str:
        return image.image.url


class ProductOut(Schema):
    id: int
    name: str
    slug: str
    status: ProductStatus
    description: str
    published_at: datetime | None
    expected_at: date | None
    is_featured: bool
    seo_title: str
    seo_description: str
    category_ids: list[int]
    price_from: str | None
    currency: str
    variants: list[StaffVariantOut]
    images: list[StaffImageOut]

    @staticmethod
    def resolve_category_ids(product) -> list[int]:
        return [category.pk for category in product.categories.all()]

    @staticmethod
    def resolve_price_from(product) -> str | None:
        return _money(product.price_from)

    @staticmethod
    def resolve_currency(product) -> str:
        return default_currency()

    @staticmethod
    def resolve_variants(product):
        return list(product.variants.all())

    @staticmethod
    def resolve_images(product):
        return list(product.images.all())


# Endpoints ---------------------------------------------------------------------------------------


def _product(product_id: int) -> Product:
    product = staff_selectors.staff_product(product_id=product_id)
    if product is None:
        raise NotFound("There is no product with this id.")
    return product


@router.post(
    "/products",
    response={201: ProductOut, **error_responses(400, 401, 403, 422)},
    auth=staff("catalog.add_product", "catalog.add_variant"),
    summary="Create a product with its variants",
)
def create_product(request, payload: ProductIn):
    data = payload.dict()
    if any(variant["stock"] for variant in data["variants"]):
        _check(request.auth, ["inventory.change_stocklevel"])
    product = services.save_product(**data, user=request.auth)
    return Status(201, _product(product.pk))


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **error_responses(400, 401, 403, 404, 422)},
    auth=staff("catalog.change_product"),
    summary="Change some fields of a product",
)
def update_product(request, product_id: int, payload: ProductPatch):
    product = _product(product_id)
    services.update_product(
        product=product, changes=payload.dict(exclude_unset=True), user=request.auth
    )
    return _product(product_id)


@router.delete(
    "/products/{product_id}",
    response={200: ProductOut, **error_responses(401, 403, 404)},
    auth=staff("catalog.change_product"),
    summary="Archive a product",
    description="The product and its history stay; it leaves the shop. Archiving twice is fine.",
)
def archive_product(request, product_id: int):
    product = _product(product_id)
    services.set_product_status(product_ids=[product.pk], status=Product.Status.ARCHIVED)
    return _product(product_id)


@router.post(
    "/products/{product_id}/images",
    response={201: StaffImageOut, **error_responses(400, 401, 403, 404, 422)},
    auth=staff("catalog.add_productimage"),
    summary="Add a picture to a product",
    description=(
        "Multipart field `image`: JPEG, PNG, WebP or GIF, at most 10 MB and 40 megapixels; "
        "checked by its content. The picture goes last in the gallery."
    ),
)
def add_image(
    request,
    product_id: int,
    image: File[UploadedFile],
    alt: InputStr = ALT_TEXT,
):
    product = _product(product_id)
    (added,) = images.add_product_images(
        product=product, files=[image], alt=alt, user=request.auth, field="image"
    )
    return Status(201, added)


@router.patch(
    "/variants/{sku}",
    response={200: StaffVariantOut, **error_responses(400, 401, 403, 404, 409, 422)},
    auth=staff(any_of=("catalog.change_variant", "inventory.change_stocklevel")),
    summary="Change a variant's prices or stock",
)
def update_variant(request, sku: str, payload: VariantPatch):
    changes = payload.dict(exclude_unset=True)
    needed = []
    if PRICE_FIELDS & changes.keys():
        needed.append("catalog.change_variant")
    if STOCK_FIELDS & changes.keys():
        needed.append("inventory.change_stocklevel")
    _check(request.auth, needed)
    variant = staff_selectors.variant_by_sku(sku=sku)
    if variant is None:
        raise NotFound("There is no variant with this SKU.")
    services.update_variant(variant=variant, changes=changes, user=request.auth)
    return staff_selectors.staff_variant(variant_id=variant.pk)
