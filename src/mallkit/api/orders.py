"""Order endpoints: the caller's order history and one order in full.

Orders are looked up through their owner, so another customer's order number answers 404 exactly
like one that does not exist. Payment transactions are shown without the provider's raw payloads.
"""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from mallkit.core.money import format_amount
from mallkit.orders import selectors

from .common import PageParams, error_responses, paginate, user_auth

router = Router(tags=["orders"], auth=user_auth)


class OrderSummaryOut(Schema):
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


class OrderListOut(Schema):
    items: list[OrderSummaryOut]
    count: int


class LineOut(Schema):
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


class EventOut(Schema):
    type: str
    message: str
    created_at: datetime


class AddressOut(Schema):
    full_name: str = ""
    phone: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


class OrderOut(Schema):
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
    shipping_address: AddressOut
    billing_address: AddressOut
    note: str
    lines: list[LineOut]
    payment: PaymentOut | None = Field(description="The latest payment attempt.")
    events: list[EventOut] = Field(description="The order's timeline, oldest first.")


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
        "events": detail.events,
    }


@router.get(
    "/orders",
    response={200: OrderListOut, **error_responses(401, 422)},
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
    response={200: OrderOut, **error_responses(401, 404)},
    summary="Show one of my orders",
    description="Another customer's order answers 404, like one that does not exist.",
)
def get_order(request, number: str):
    return _detail_body(selectors.order_for_customer(customer=request.auth, number=number))
