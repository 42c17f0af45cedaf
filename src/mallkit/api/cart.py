"""Cart endpoints for signed-in members: their stored cart, the same one the shop's pages show.

Requests without credentials answer 401: an anonymous shopper's cart lives in the site's session
and is merged into the member's cart when they sign in.
"""

from typing import Any

from django.conf import settings
from ninja import Field, Router, Schema, Status

from mallkit.cart import selectors, services
from mallkit.cart.models import Cart
from mallkit.catalog.models import Product, ProductImage
from mallkit.core.errors import NotFound
from mallkit.core.money import format_amount

from .common import InputStr, error_responses, user_auth

router = Router(tags=["cart"], auth=user_auth)


def _document_quantity(schema: dict) -> None:
    schema.update(
        {
            "type": "integer",
            "minimum": 1,
            "maximum": settings.MALLKIT_MAX_LINE_QUANTITY,
            "description": "A whole number from 1 to the shop's per-line maximum.",
        }
    )


# Schemas -----------------------------------------------------------------------------------------


class WarningOut(Schema):
    code: str = Field(description="not_sold, coming_soon, out_of_stock, short_stock or over_limit.")
    message: str


class CartLineOut(Schema):
    id: int
    sku: str
    product_name: str
    product_slug: str
    product_url: str
    variant_label: str = Field(description='The variant\'s options, e.g. "Red / M".')
    quantity: int
    unit_price: str = Field(description="The variant's price now, a decimal string.")
    line_total: str
    available: int = Field(description="Units in stock now.")
    image: str | None
    warnings: list[WarningOut] = Field(description="Why the line cannot be ordered as it is.")

    @staticmethod
    def resolve_sku(line) -> str:
        return line.sku

    # Lines come from cart_summary(snapshots=True): names, labels and pictures are read from
    # their snapshots, which the catalogue's services keep current.

    @staticmethod
    def resolve_product_name(line) -> str:
        return line.snapshot.product_name

    @staticmethod
    def resolve_product_slug(line) -> str:
        return line.snapshot.product_slug

    @staticmethod
    def resolve_product_url(line) -> str:
        # The product's own rule for its address, which needs nothing but the slug.
        return Product(slug=line.snapshot.product_slug).get_absolute_url()

    @staticmethod
    def resolve_variant_label(line) -> str:
        return line.snapshot.label

    @staticmethod
    def resolve_unit_price(line) -> str:
        return format_amount(line.unit_price)

    @staticmethod
    def resolve_line_total(line) -> str:
        return format_amount(line.line_total)

    @staticmethod
    def resolve_image(line) -> str | None:
        name = line.snapshot.image
        # What ProductImage.image.url answers for a stored picture of that name.
        return ProductImage._meta.get_field("image").storage.url(name) if name else None


class CartOut(Schema):
    lines: list[CartLineOut]
    item_count: int = Field(description="Units in the cart, over every line.")
    subtotal: str = Field(description="Line totals added up, a decimal string.")
    currency: str
    can_check_out: bool = Field(description="True when there are lines and none has a warning.")

    @staticmethod
    def resolve_subtotal(summary) -> str:
        return format_amount(summary.subtotal)


class LineIn(Schema):
    sku: InputStr = Field(max_length=64)
    # Checked by the cart service so every wrong quantity (0, -1, 1.5, "x", true…) gets the same
    # 400 with the code invalid_quantity.
    quantity: Any = Field(1, json_schema_extra=_document_quantity)


class QuantityIn(Schema):
    quantity: Any = Field(json_schema_extra=_document_quantity)


# Endpoints ---------------------------------------------------------------------------------------

CART_ERRORS = error_responses(400, 401, 404, 409, 422)


def _stored_cart(user) -> Cart:
    services.ensure_cart_enabled()
    cart = selectors.cart_for_user(user=user)
    if cart is None:
        raise NotFound("This line is not in your cart.")
    return cart


@router.get(
    "/cart",
    response={200: CartOut, **error_responses(401, 404)},
    summary="Show my cart",
    description="Prices are the current ones. Answers 404 (cart_disabled) in a showcase shop.",
)
def get_cart(request):
    services.ensure_cart_enabled()
    return selectors.cart_summary(cart=selectors.cart_for_user(user=request.auth), snapshots=True)


@router.post(
    "/cart/lines",
    response={201: CartOut, **CART_ERRORS},
    summary="Put a product in my cart",
    description=(
        "Adds to the line of the same SKU when there is one. More than the stock (409, "
        "insufficient_stock) or than the per-line maximum (400, invalid_quantity) is refused "
        "and the cart stays as it was. Answers the whole cart."
    ),
)
def add_line(request, payload: LineIn):
    cart = services.get_or_create_cart(user=request.auth)
    services.add_to_cart(cart=cart, sku=payload.sku, quantity=payload.quantity)
    return Status(201, selectors.cart_summary(cart=cart, snapshots=True))


@router.patch(
    "/cart/lines/{line_id}",
    response={200: CartOut, **CART_ERRORS},
    summary="Change the quantity of a line",
    description="Answers the whole cart.",
)
def update_line(request, line_id: int, payload: QuantityIn):
    cart = _stored_cart(request.auth)
    services.set_line_quantity(cart=cart, line_id=line_id, quantity=payload.quantity)
    return selectors.cart_summary(cart=cart, snapshots=True)


@router.delete(
    "/cart/lines/{line_id}",
    response={204: None, **error_responses(401, 404, 422)},
    summary="Remove a line",
)
def delete_line(request, line_id: int):
    services.remove_line(cart=_stored_cart(request.auth), line_id=line_id)
    return Status(204, None)
