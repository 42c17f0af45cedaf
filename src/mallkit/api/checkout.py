"""Checkout endpoints: what the shop offers (delivery and payment methods) and placing an order.

`POST /checkout` orders the caller's cart. Prices and totals always come from the shop's pricing;
any price or total in the body is ignored. An `Idempotency-Key` header makes a retried request
safe: the first request with a key answers 201, every later one with the same key answers 200
with the same order (and the header `Idempotent-Replayed: true`) and starts no second payment.
A showcase shop takes no orders: every endpoint here answers 404 (`cart_disabled`) there.
"""

import string
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.utils.translation import get_language
from ninja import Field, Header, Query, Router, Schema, Status

from mallkit.accounts import selectors as accounts
from mallkit.cart import selectors as carts
from mallkit.cart.services import CartDisabled, ensure_cart_enabled
from mallkit.checkout import selectors as checkout_selectors
from mallkit.checkout import services as checkout
from mallkit.checkout.flow import confirmation_path, place_and_pay
from mallkit.core.errors import NotFound, ValidationFailed
from mallkit.core.money import default_currency, format_amount
from mallkit.inventory.services import InsufficientStock
from mallkit.payments import gateways

from .common import InputStr, error_responses, user_auth

router = Router(tags=["checkout"])


def _closed_in_showcase(run):
    """Answer 404 in a showcase shop before the body is even read, whatever it holds."""

    @wraps(run)
    def wrapper(request, *args, **kwargs):
        try:
            ensure_cart_enabled()
        except CartDisabled as error:
            body = {"detail": error.message, "code": error.code, "errors": error.errors}
            return JsonResponse(body, status=error.status)
        return run(request, *args, **kwargs)

    return wrapper


router.add_decorator(_closed_in_showcase, mode="view")

MAX_IDEMPOTENCY_KEY = 128
KEY_CHARACTERS = set(string.ascii_letters + string.digits + "-_.:")


def _money(amount) -> str | None:
    return None if amount is None else format_amount(amount)


# Schemas -----------------------------------------------------------------------------------------


class ShippingMethodOut(Schema):
    code: str
    name: str
    description: str
    kind: str = Field(description="`flat_rate` or `local_pickup` (then no address is needed).")
    price: str = Field(description='A decimal string, e.g. "5.00".')
    currency: str
    free_above: str | None = Field(
        description="Orders whose goods (after discount) reach this amount ship free; null: never."
    )
    needs_address: bool

    @staticmethod
    def resolve_price(method) -> str:
        return format_amount(method.price)

    @staticmethod
    def resolve_currency(method) -> str:
        return default_currency()

    @staticmethod
    def resolve_free_above(method) -> str | None:
        return _money(method.free_above)


class ShippingMethodListOut(Schema):
    items: list[ShippingMethodOut]
    count: int


class ShippingFilter(Schema):
    country: InputStr = Field(
        "", max_length=2, description="An ISO 3166-1 alpha-2 code: only methods delivering there."
    )
    region: InputStr = Field("", max_length=120, description="A state or region of the country.")


class PaymentMethodOut(Schema):
    code: str = Field(description="`cod`, `bank_transfer`, `sandbox`, `stripe`… as configured.")
    name: str
    is_online: bool = Field(
        description="True: the shopper pays on the provider's page (`payment.redirect_url`)."
    )

    @staticmethod
    def resolve_name(gateway) -> str:
        return str(gateway.name)


class PaymentMethodListOut(Schema):
    items: list[PaymentMethodOut]
    count: int


class ShippingAddressIn(Schema):
    full_name: InputStr = Field("", max_length=120)
    phone: InputStr = Field("", max_length=32)
    line1: InputStr = Field("", max_length=120)
    line2: InputStr = Field("", max_length=120)
    city: InputStr = Field("", max_length=120)
    region: InputStr = Field("", max_length=120)
    postal_code: InputStr = Field("", max_length=20)
    country: InputStr = Field("", max_length=2, description="An ISO 3166-1 alpha-2 code.")


class CheckoutIn(Schema):
    shipping_address: ShippingAddressIn | None = Field(
        None, description="The delivery address; or give `shipping_address_id` instead."
    )
    shipping_address_id: int | None = Field(
        None, description="An address of the caller's address book (another's answers 404)."
    )
    shipping_method: InputStr = Field(max_length=40, description="A code from /shipping-methods.")
    payment_method: InputStr = Field(max_length=40, description="A code from /payment-methods.")
    voucher_code: InputStr = Field("", max_length=40)
    email: InputStr = Field(
        "", max_length=254, description="Where the confirmation goes; the account's by default."
    )
    note: InputStr = Field("", max_length=1000, description="A note for the shop.")


class OrderLineOut(Schema):
    sku: str
    product_name: str
    variant_label: str
    quantity: int
    unit_price: str
    discount: str = Field(description="This line's share of the voucher's discount.")
    tax: str
    total: str

    @staticmethod
    def resolve_unit_price(line) -> str:
        return format_amount(line.unit_price)

    @staticmethod
    def resolve_discount(line) -> str:
        return format_amount(line.discount)

    @staticmethod
    def resolve_tax(line) -> str:
        return format_amount(line.tax)

    @staticmethod
    def resolve_total(line) -> str:
        return format_amount(line.total)


class PaymentStartOut(Schema):
    gateway: str
    reference: str
    status: str = Field(description="pending, succeeded, failed or cancelled.")
    redirect_url: str | None = Field(
        description="Online methods: send the shopper here to pay; they come back to the shop."
    )
    instructions: str | None = Field(
        description="Offline methods: what the shopper must do (a bank transfer's details…)."
    )


class PlacedOrderOut(Schema):
    number: str
    status: str = Field(description="pending, confirmed, completed, cancelled or expired.")
    payment_status: str = Field(description="unpaid, paid, partially_refunded or refunded.")
    subtotal: str
    discount: str
    shipping: str
    tax: str
    total: str
    currency: str
    lines: list[OrderLineOut]
    payment: PaymentStartOut | None
    confirmation_url: str = Field(
        description="The order's page on the site, signed so it opens without signing in."
    )


class ShortLineOut(Schema):
    sku: str
    requested: int
    available: int
    missing: int


SHORT_STOCK_EXAMPLE = {
    "detail": "There is not enough stock.",
    "code": "insufficient_stock",
    "errors": {"lines": ["LINEN-S: 3 requested, 1 available."]},
    "lines": [{"sku": "LINEN-S", "requested": 3, "available": 1, "missing": 2}],
}


# Helpers -----------------------------------------------------------------------------------------


def _idempotency_key(value: str | None) -> str:
    key = (value or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY or not set(key) <= KEY_CHARACTERS:
        message = (
            f"Use at most {MAX_IDEMPOTENCY_KEY} letters, digits, hyphens, underscores, dots "
            "or colons (a UUID is ideal)."
        )
        raise ValidationFailed(
            message, code="invalid_idempotency_key", errors={"Idempotency-Key": [message]}
        )
    return key


class InvalidAddress(ValidationFailed):
    """The shipping address is not complete or not valid."""

    code = "invalid_address"
    status = 422


def _address_error(error: ValidationFailed) -> InvalidAddress:
    return InvalidAddress(
        error.message,
        errors={f"shipping_address.{name}": texts for name, texts in error.errors.items()},
    )


def _shipping_address(request, payload: CheckoutIn) -> dict | None:
    if payload.shipping_address is not None and payload.shipping_address_id is not None:
        message = "Give either shipping_address or shipping_address_id, not both."
        raise InvalidAddress(message, errors={"shipping_address_id": [message]})
    if payload.shipping_address_id is not None:
        book = accounts.address_for_user(user=request.auth, address_id=payload.shipping_address_id)
        data = {name: getattr(book, name) for name in checkout.ADDRESS_FIELDS}
    elif payload.shipping_address is not None:
        data = payload.shipping_address.dict()
    else:
        return None
    try:
        return checkout.clean_address(data)
    except ValidationFailed as error:
        raise _address_error(error) from None


def _caller_cart(request):
    """The caller's cart and its {variant id: quantity}."""
    if getattr(request, "api_token", None) is not None:
        return carts.member_cart_items(user=request.auth)
    # The site's own pages call with the session: the cart they show.
    cart = carts.current_cart(user=request.auth, session=request.session)
    return cart, carts.cart_items(cart=cart)


def _short_stock(cart, error: InsufficientStock) -> JsonResponse:
    skus = {line.variant.pk: line.sku for line in carts.cart_summary(cart=cart).lines}
    lines = [
        {
            "sku": skus.get(shortage.variant_id, ""),
            "requested": shortage.requested,
            "available": max(shortage.available, 0),
            "missing": shortage.missing,
        }
        for shortage in error.shortages
    ]
    return JsonResponse(
        {
            "detail": "There is not enough stock for some lines; nothing was ordered.",
            "code": error.code,
            "errors": {
                "lines": [
                    f"{line['sku']}: {line['requested']} requested, {line['available']} available."
                    for line in lines
                ]
            },
            "lines": lines,
        },
        status=409,
    )


def _placed_body(placed) -> dict:
    order, payment = placed.order, placed.payment
    return {
        "number": order.number,
        "status": order.status,
        "payment_status": order.payment_status,
        "subtotal": format_amount(order.subtotal),
        "discount": format_amount(order.discount),
        "shipping": format_amount(order.shipping),
        "tax": format_amount(order.tax),
        "total": format_amount(order.total),
        "currency": order.currency,
        "lines": list(order.lines.all()),
        "payment": None
        if payment is None
        else {
            "gateway": payment.gateway,
            "reference": payment.reference,
            "status": payment.status,
            "redirect_url": payment.redirect_url or None,
            "instructions": payment.instructions or None,
        },
        "confirmation_url": confirmation_path(order),
    }


# Endpoints ---------------------------------------------------------------------------------------


@router.get(
    "/checkout/shipping-methods",
    response={200: ShippingMethodListOut, **error_responses(404, 422)},
    summary="List the delivery methods",
    description=(
        "Every active method, or with `country` (and `region`) only those delivering there. "
        "All of them in one answer, never paged."
    ),
)
def shipping_methods(request, filters: Query[ShippingFilter]):
    methods = checkout_selectors.shipping_methods(
        country=filters.country.strip().upper(), region=filters.region.strip()
    )
    return {"items": methods, "count": len(methods)}


@router.get(
    "/checkout/payment-methods",
    response={200: PaymentMethodListOut, **error_responses(404)},
    summary="List the payment methods",
    description="The shop's enabled payment methods, in the shop's order. Never paged.",
)
def payment_methods(request):
    methods = list(gateways.enabled().values())
    return {"items": methods, "count": len(methods)}


@router.post(
    "/checkout",
    auth=user_auth,
    response={
        201: PlacedOrderOut,
        200: PlacedOrderOut,
        **error_responses(400, 401, 404, 409, 422),
    },
    summary="Order my cart",
    description=(
        "Places an order for every line of the caller's cart, which is emptied, and starts "
        "its payment: an online method answers `payment.redirect_url` (send the shopper there), "
        "an offline one `payment.instructions`. Prices, discount, shipping, tax and total are "
        "the shop's; any price or total in the body is ignored.\n\n"
        "**Idempotency:** send a unique `Idempotency-Key` header (e.g. a UUID) and retry freely: "
        "the first request answers 201, a request with a key already used answers 200 with the "
        "same order, the header `Idempotent-Replayed: true`, and starts no second payment. "
        "Keys are per account.\n\n"
        "**Refusals:** an empty cart 400 `empty_cart`; an unknown delivery or payment method "
        "400 (`invalid_shipping_method`, `unknown_payment_method`); a method not delivering to "
        "the address 400 `shipping_not_available`; a voucher 400 `voucher_invalid` or 409 "
        "`voucher_used_up`; address fields 422 `invalid_address` with messages by field; an "
        "address id not in the caller's book 404; not enough stock 409 `insufficient_stock` "
        "with a `lines` list `{sku, requested, available, missing}` of the short lines. Nothing "
        "is ordered then."
    ),
    openapi_extra={
        "responses": {
            201: {"description": "The order was placed (the first request with its key)."},
            200: {
                "description": (
                    "A replay: an order was already placed with this Idempotency-Key; the same "
                    "order, with the header `Idempotent-Replayed: true`."
                )
            },
            409: {
                "description": (
                    "Not enough stock (`insufficient_stock`, with `lines`) or a voucher used up."
                ),
                "content": {"application/json": {"example": SHORT_STOCK_EXAMPLE}},
            },
        },
    },
)
def place(
    request,
    response: HttpResponse,
    payload: CheckoutIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description=(
            "Optional but recommended: up to 128 letters, digits and `-_.:` (e.g. a UUID). A key "
            "already used returns the same order."
        ),
    ),
):
    key = _idempotency_key(idempotency_key)
    address = _shipping_address(request, payload)
    cart, items = _caller_cart(request)
    try:
        placed = place_and_pay(
            items=items,
            cart=cart,
            email=payload.email.strip() or request.auth.email,
            shipping_address=address,
            shipping_method_code=payload.shipping_method.strip(),
            payment_method=payload.payment_method.strip(),
            customer=request.auth,
            voucher_code=payload.voucher_code.strip(),
            idempotency_key=key,
            note=payload.note,
            language=get_language() or "en",
            return_url=lambda order: request.build_absolute_uri(confirmation_path(order)),
        )
    except InsufficientStock as error:
        return _short_stock(cart, error)
    except NotFound as error:
        if error.code != "unknown_payment_method":
            raise
        raise ValidationFailed(
            error.message, code=error.code, errors={"payment_method": [error.message]}
        ) from None
    except ValidationFailed as error:
        if error.code == "invalid" and set(error.errors) <= set(checkout.ADDRESS_FIELDS):
            raise _address_error(error) from None
        raise
    if placed.created:
        return Status(201, _placed_body(placed))
    response["Idempotent-Replayed"] = "true"
    return Status(200, _placed_body(placed))
