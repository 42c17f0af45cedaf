"""Order endpoints: the caller's order history, one order in full, and asking for a refund.

Orders are looked up through their owner, so another customer's order number answers 404 exactly
like one that does not exist. Payment transactions are shown without the provider's raw payloads.
"""

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status

from mallkit.core.money import format_amount
from mallkit.orders import selectors, services

from .common import InputStr, PageParams, error_responses, paginate, user_auth

router = Router(tags=["orders"], auth=user_auth)


class CustomerOrderSummaryOut(Schema):
    number: str
    created_at: datetime
    status: str = Field(description="pending, confirmed, completed, cancelled or expired.")
    payment_status: str = Field(description="unpaid, paid, partially_refunded or refunded.")
    fulfilment_status: str = Field(
        description="unfulfilled, packed, partially_shipped, shipped or delivered."
    )
    item_count: int = Field(description="Units ordered, over every line.")
    total: str
    currency: str

    @staticmethod
    def resolve_total(order) -> str:
        return format_amount(order.total, order.currency)


class CustomerOrderListOut(Schema):
    items: list[CustomerOrderSummaryOut]
    count: int


class CustomerOrderLineOut(Schema):
    sku: str
    product_name: str
    variant_label: str
    quantity: int
    quantity_shipped: int
    unit_price: str
    discount: str = Field(description="This line's share of the voucher's discount.")
    tax_rate: str = Field(description="Percent, e.g. 8.25.")
    tax: str
    total: str

    @staticmethod
    def resolve_unit_price(line) -> str:
        return format_amount(line.unit_price)

    @staticmethod
    def resolve_discount(line) -> str:
        return format_amount(line.discount)

    @staticmethod
    def resolve_tax_rate(line) -> str:
        return str(line.tax_rate)

    @staticmethod
    def resolve_tax(line) -> str:
        return format_amount(line.tax)

    @staticmethod
    def resolve_total(line) -> str:
        return format_amount(line.total)


class TransactionOut(Schema):
    kind: str = Field(description="start, capture, failure, refund, manual or mismatch.")
    amount: str
    currency: str
    success: bool
    created_at: datetime

    @staticmethod
    def resolve_amount(transaction) -> str:
        return format_amount(transaction.amount, transaction.currency)


class PaymentOut(Schema):
    gateway: str
    reference: str
    status: str = Field(description="pending, succeeded, failed or cancelled.")
    amount: str
    currency: str
    redirect_url: str | None = Field(
        description="While an online payment is open: the provider's page to pay on."
    )
    instructions: str | None = Field(description="While unpaid: what to do to pay (offline).")
    transactions: list[TransactionOut] = Field(description="Every exchange with the provider.")


class CustomerOrderEventOut(Schema):
    type: str
    message: str
    created_at: datetime


class ShipmentLineOut(Schema):
    sku: str
    product_name: str
    variant_label: str
    quantity: int = Field(description="Units of the order line in this parcel.")

    @staticmethod
    def resolve_sku(shipped) -> str:
        return shipped.order_line.sku

    @staticmethod
    def resolve_product_name(shipped) -> str:
        return shipped.order_line.product_name

    @staticmethod
    def resolve_variant_label(shipped) -> str:
        return shipped.order_line.variant_label


class ShipmentOut(Schema):
    carrier: str = Field(description="The carrier's name, such as DHL.")
    tracking_number: str | None = Field(description="Null when the parcel has none.")
    tracking_url: str | None = Field(
        description="The carrier's page to follow the parcel; null when there is none."
    )
    shipped_at: datetime
    lines: list[ShipmentLineOut] = Field(description="What the parcel holds.")

    @staticmethod
    def resolve_tracking_number(parcel) -> str | None:
        return parcel.tracking_number or None

    @staticmethod
    def resolve_tracking_url(parcel) -> str | None:
        return parcel.tracking_url or None

    @staticmethod
    def resolve_lines(parcel) -> list:
        return list(parcel.lines.all())


class CustomerOrderAddressOut(Schema):
    full_name: str = ""
    phone: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


class CustomerOrderOut(Schema):
    number: str
    created_at: datetime
    email: str
    status: str
    payment_status: str
    payment_state: str = Field(
        description=(
            "For people: paid, waiting (an online payment's outcome is awaited), failed (it may "
            "be tried again), instructions (pay by transfer or on delivery) or closed."
        )
    )
    fulfilment_status: str
    currency: str
    prices_include_tax: bool
    subtotal: str = Field(description="The goods, before the discount.")
    discount: str
    shipping: str
    tax: str
    total: str
    amount_paid: str
    amount_refunded: str
    voucher_code: str
    shipping_method: str = Field(description="The delivery method's name at purchase.")
    payment_method: str
    shipping_address: CustomerOrderAddressOut
    billing_address: CustomerOrderAddressOut
    note: str
    lines: list[CustomerOrderLineOut]
    payment: PaymentOut | None = Field(description="The latest payment attempt.")
    shipments: list[ShipmentOut] = Field(
        description="Parcels sent, oldest first, with their tracking and contents."
    )
    events: list[CustomerOrderEventOut] = Field(description="The order's timeline, oldest first.")


class RefundRequestIn(Schema):
    reason: InputStr = Field(max_length=1000, description="Why the refund is wanted.")
    amount: InputStr | None = Field(
        None,
        max_length=20,
        description="A decimal string such as 12.50; omitted or null for everything paid.",
        examples=["12.50"],
    )


class RefundRequestOut(Schema):
    id: int
    status: str = Field(description="open, refunded or declined.")
    reason: str
    amount: str | None = Field(description="Null for everything paid.")
    currency: str
    created_at: datetime

    @staticmethod
    def resolve_amount(request) -> str | None:
        if request.amount is None:
            return None
        return format_amount(request.amount, request.order.currency)

    @staticmethod
    def resolve_currency(request) -> str:
        return request.order.currency


def _detail_body(detail) -> dict:
    order, payment = detail.order, detail.payment
    money = {
        name: format_amount(getattr(order, name), order.currency)
        for name in (
            "subtotal",
            "discount",
            "shipping",
            "tax",
            "total",
            "amount_paid",
            "amount_refunded",
        )
    }
    return {
        "number": order.number,
        "created_at": order.created_at,
        "email": order.email,
        "status": order.status,
        "payment_status": order.payment_status,
        "payment_state": detail.payment_state,
        "fulfilment_status": order.fulfilment_status,
        "currency": order.currency,
        "prices_include_tax": order.prices_include_tax,
        **money,
        "voucher_code": order.voucher_code,
        "shipping_method": order.shipping_method_name,
        "payment_method": order.payment_method,
        "shipping_address": order.shipping_address or {},
        "billing_address": order.billing_address or {},
        "note": order.customer_note,
        "lines": detail.lines,
        "payment": None
        if payment is None
        else {
            "gateway": payment.gateway,
            "reference": payment.reference,
            "status": payment.status,
            "amount": format_amount(payment.amount, payment.currency),
            "currency": payment.currency,
            "redirect_url": detail.pay_url or None,
            "instructions": detail.instructions or None,
            "transactions": list(payment.transactions.all()),
        },
        "shipments": detail.shipments,
        "events": detail.events,
    }


@router.get(
    "/orders",
    response={200: CustomerOrderListOut, **error_responses(401, 422)},
    summary="List my orders",
    description="Newest first.",
)
def list_orders(request, params: Query[PageParams]):
    return paginate(
        selectors.orders_for_customer(customer=request.auth),
        page=params.page,
        page_size=params.page_size,
    )


@router.get(
    "/orders/{number}",
    response={200: CustomerOrderOut, **error_responses(401, 404)},
    summary="Show one of my orders",
    description="Another customer's order answers 404, like one that does not exist.",
)
def get_order(request, number: str):
    return _detail_body(selectors.order_for_customer(customer=request.auth, number=number))


@router.post(
    "/orders/{number}/refund-request",
    response={201: RefundRequestOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Ask for a refund of one of my orders",
    description=(
        "Puts the request in the shop's queue; staff decide and refund. 400 `invalid` for an "
        "empty reason or an amount that is not valid or more than is left to refund; 409 "
        "`transition_not_allowed` when nothing paid is left to refund, 409 "
        "`refund_already_requested` while an earlier request is open. Another customer's order "
        "answers 404, like one that does not exist."
    ),
)
def request_refund(request, number: str, payload: RefundRequestIn):
    detail = selectors.order_for_customer(customer=request.auth, number=number)
    refund_request = services.request_refund(
        order=detail.order, reason=payload.reason, amount=payload.amount, actor=request.auth
    )
    return Status(201, refund_request)
