"""The staff API for orders: the work queues, one order in full, and its actions.

Actions go through orders.transitions like the back office's buttons: an action the order's
state does not allow answers 409 and changes nothing, an unknown action 400, a role without the
action's permission 403. Listing and reading need orders.view_order, checked before the input.
"""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Query, Router, Schema

from mallkit.core.errors import NotFound
from mallkit.core.money import format_amount
from mallkit.orders import processing, transitions
from mallkit.orders import staff_selectors as selectors
from mallkit.orders.models import Order

from .common import InputStr, PageParams, error_responses, paginate
from .staff import staff

router = Router(tags=["staff orders"])
VIEW = "orders.view_order"

QueueName = Literal[
    "awaiting_payment",
    "to_pack",
    "to_ship",
    "shipped",
    "completed",
    "cancelled",
    "refund_requested",
    "flagged",
    "all",
]


def _money(order, amount) -> str:
    return format_amount(amount, order.currency)


class OrderFilters(PageParams):
    queue: QueueName = Field("all", description="A work queue, as in the back office.")
    status: Literal["pending", "confirmed", "completed", "cancelled", "expired"] | None = None
    q: InputStr = Field(
        "", max_length=100, description="Order number, e-mail, name, phone or an exact SKU."
    )
    payment_method: InputStr = Field("", max_length=40)
    date_from: date | None = Field(None, description="Placed on or after this day.")
    date_to: date | None = Field(None, description="Placed on or before this day.")


class OrderSummaryOut(Schema):
    number: str
    created_at: datetime
    status: str
    payment_status: str
    fulfilment_status: str = Field(
        description="unfulfilled, packed, partially_shipped, shipped or delivered."
    )
    is_flagged: bool
    customer_name: str
    email: str
    item_count: int
    total: str
    currency: str
    payment_method: str

    @staticmethod
    def resolve_customer_name(order) -> str:
        return (order.shipping_address or {}).get("full_name", "")

    @staticmethod
    def resolve_total(order) -> str:
        return _money(order, order.total)


class OrderListOut(Schema):
    items: list[OrderSummaryOut]
    count: int


class LineOut(Schema):
    id: int
    sku: str
    product_name: str
    variant_label: str
    quantity: int
    quantity_shipped: int
    quantity_cancelled: int
    quantity_returned: int
    quantity_to_ship: int
    unit_price: str
    total: str

    @staticmethod
    def resolve_unit_price(line) -> str:
        return format_amount(line.unit_price)

    @staticmethod
    def resolve_total(line) -> str:
        return format_amount(line.total)


class ShippedLineOut(Schema):
    line_id: int
    quantity: int

    @staticmethod
    def resolve_line_id(item) -> int:
        return item.order_line_id


class FulfilmentOut(Schema):
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime
    lines: list[ShippedLineOut]

    @staticmethod
    def resolve_lines(fulfilment):
        return list(fulfilment.lines.all())


class EventOut(Schema):
    type: str
    message: str
    by: str | None = Field(description="The e-mail of the person; null for the shop itself.")
    created_at: datetime
    visible_to_customer: bool

    @staticmethod
    def resolve_by(event) -> str | None:
        return event.actor.email if event.actor else None


class DocumentOut(Schema):
    number: str
    amount: str
    issued_at: datetime


class OrderOut(OrderSummaryOut):
    phone: str
    flag_reason: str
    subtotal: str
    discount: str
    shipping: str
    tax: str
    amount_paid: str
    amount_refunded: str
    shipping_address: dict
    billing_address: dict
    shipping_method: str
    customer_note: str
    lines: list[LineOut]
    fulfilments: list[FulfilmentOut]
    events: list[EventOut]
    invoice: DocumentOut | None
    credit_notes: list[DocumentOut]
    available_actions: list[str] = Field(
        description="The actions of the transition table the order's state allows now."
    )

    @staticmethod
    def resolve_subtotal(order) -> str:
        return _money(order, order.subtotal)

    @staticmethod
    def resolve_discount(order) -> str:
        return _money(order, order.discount)

    @staticmethod
    def resolve_shipping(order) -> str:
        return _money(order, order.shipping)

    @staticmethod
    def resolve_tax(order) -> str:
        return _money(order, order.tax)

    @staticmethod
    def resolve_amount_paid(order) -> str:
        return _money(order, order.amount_paid)

    @staticmethod
    def resolve_amount_refunded(order) -> str:
        return _money(order, order.amount_refunded)

    @staticmethod
    def resolve_shipping_method(order) -> str:
        return order.shipping_method_name

    @staticmethod
    def resolve_lines(order):
        return list(order.lines.all())

    @staticmethod
    def resolve_fulfilments(order):
        return list(order.fulfilments.all())

    @staticmethod
    def resolve_events(order):
        return list(order.events.all())

    @staticmethod
    def resolve_invoice(order):
        invoice = getattr(order, "invoice", None)
        if invoice is None:
            return None
        return {
            "number": invoice.label,
            "amount": _money(order, invoice.total),
            "issued_at": invoice.issued_at,
        }

    @staticmethod
    def resolve_credit_notes(order):
        return [
            {
                "number": note.label,
                "amount": _money(order, note.amount),
                "issued_at": note.issued_at,
            }
            for note in order.credit_notes.all()
        ]

    @staticmethod
    def resolve_available_actions(order) -> list[str]:
        return [a for a in transitions.available_actions(order) if a in processing.ACTIONS]


class LineQuantityIn(Schema):
    line_id: int
    quantity: int = Field(ge=0, le=100000)


class TransitionIn(Schema):
    action: InputStr = Field(
        description=(
            "confirm_payment, confirm, pack, ship, deliver, cancel, refund or restock; "
            "see the order's `available_actions`."
        ),
        max_length=40,
    )
    note: InputStr = Field("", max_length=500, description="Why, for the timeline.")
    amount: InputStr | None = Field(
        None, max_length=20, description="refund: a decimal string; everything left if omitted."
    )
    carrier: InputStr = Field(
        "",
        max_length=60,
        description="ship: dhl, ups, fedex, usps, royal_mail, sf_express or a name.",
    )
    tracking_number: InputStr = Field("", max_length=100)
    tracking_url: InputStr = Field(
        "", max_length=500, description="ship: made from the number for the carriers listed."
    )
    lines: list[LineQuantityIn] | None = Field(
        None, description="ship: units by order line; everything left to ship if omitted."
    )
    restock: list[LineQuantityIn] = Field(
        default_factory=list, description="refund or restock: units back to stock by order line."
    )


def _order(number: str) -> Order:
    order = selectors.staff_order(number=number)
    if order is None:
        raise NotFound("There is no order with this number.")
    return order


@router.get(
    "/orders",
    response={200: OrderListOut, **error_responses(401, 403, 422)},
    auth=staff(VIEW),
    summary="List orders of a work queue, searched and filtered",
)
def list_orders(request, filters: Query[OrderFilters]):
    orders = selectors.search_orders(
        queue=filters.queue,
        q=filters.q,
        status=filters.status or "",
        payment_method=filters.payment_method,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    return paginate(orders, page=filters.page, page_size=filters.page_size)


@router.get(
    "/orders/{number}",
    response={200: OrderOut, **error_responses(401, 403, 404)},
    auth=staff(VIEW),
    summary="One order with its lines, shipments, timeline and documents",
)
def get_order(request, number: str):
    return _order(number)


@router.post(
    "/orders/{number}/transitions",
    response={200: OrderOut, **error_responses(400, 401, 403, 404, 409, 422, 502)},
    auth=staff(VIEW),
    summary="Do one action of the order's transition table",
    description=(
        "Answers the order as it is afterwards. 400 `unknown_action` for an action that does "
        "not exist (or that only the shop does, such as `expire`), 403 when your role may not "
        "do it (the warehouse cannot refund), 409 `transition_not_allowed` when the order's "
        "state does not allow it; nothing changes then."
    ),
)
def do_transition(request, number: str, payload: TransitionIn):
    processing.authorize_action(actor=request.auth, action=payload.action)
    order = _order(number)
    processing.perform(
        order=order, action=payload.action, actor=request.auth, params=payload.dict()
    )
    return _order(number)
