"""Order reads for shoppers: their history, one order as its page shows it, and guest links.

Shopper data is always fetched through its owner (ARCHITECTURE.md rule 11): another customer's
order number raises NotFound exactly like a number that does not exist. A guest, who has no
account to own the order through, reaches it with a signed link instead.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import OuterRef, Prefetch, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from mallkit.core.errors import NotFound
from mallkit.core.money import quantize
from mallkit.payments import gateways
from mallkit.payments import selectors as payments
from mallkit.payments.models import Payment, PaymentTransaction

from . import transitions
from .models import Fulfilment, Order, OrderEvent, RefundRequest

# Changing the salt invalidates every guest link ever sent, so it stays as it is.
LINK_SALT = "mallkit.orders.order-link"
PAID_STATUSES = {
    Order.PaymentStatus.PAID,
    Order.PaymentStatus.PARTIALLY_REFUNDED,
    Order.PaymentStatus.REFUNDED,
}
CLOSED_STATUSES = {Order.Status.CANCELLED, Order.Status.EXPIRED}


class PaymentState:
    """Where the shopper's payment stands, as the order's pages explain it."""

    PAID = "paid"  # the money arrived (refunds included)
    WAITING = "waiting"  # an online payment was started; its outcome has not arrived yet
    FAILED = "failed"  # the last online attempt failed; the order can still be paid
    INSTRUCTIONS = "instructions"  # offline: the shopper pays by transfer or on delivery
    CLOSED = "closed"  # cancelled or expired unpaid: nothing is to be paid any more


@dataclass(frozen=True)
class OrderDetail:
    """An order with everything its page or endpoint shows, read in a fixed number of queries."""

    order: Order
    lines: list  # OrderLine objects, each with `amount`: unit price × quantity
    events: list  # the customer-visible timeline, oldest first
    payment: object | None  # the latest payment attempt, with `.transactions.all()` prefetched
    payment_state: str
    instructions: str  # what to do to pay, in the active language; "" when nothing is to do
    pay_url: str  # the provider's page to pay (again) while an online payment is open
    # Fulfilments (parcels), oldest first; `parcel.lines.all()` holds FulfilmentLines whose
    # `order_line` is one of `lines`.
    shipments: list
    refund_requested_at: datetime | None  # when the open refund request was made, if any
    can_request_refund: bool  # something paid is left and no refund request is open


def _not_found() -> NotFound:
    return NotFound(_("There is no such order."))


def orders_for_customer(*, customer):
    """The customer's orders, newest first, each with `item_count` (one query for any number)."""
    if customer is None or not customer.is_authenticated:
        return Order.objects.none()
    return (
        Order.objects.filter(customer=customer)
        .annotate(item_count=Coalesce(Sum("lines__quantity"), Value(0)))
        .order_by("-created_at", "-id")
    )


def _detailed(queryset):
    open_request = RefundRequest.objects.filter(
        order=OuterRef("pk"), status=RefundRequest.Status.OPEN
    ).order_by("created_at", "id")
    return queryset.annotate(
        open_refund_requested_at=Subquery(open_request.values("created_at")[:1])
    ).prefetch_related(
        "lines",
        Prefetch(
            "events",
            queryset=OrderEvent.objects.filter(visible_to_customer=True).order_by(
                "created_at", "id"
            ),
            to_attr="customer_events",
        ),
        # Payments and their transactions keep their models' order: oldest first.
        "payments__transactions",
        Prefetch(
            "fulfilments",
            queryset=Fulfilment.objects.order_by("shipped_at", "id").prefetch_related("lines"),
        ),
    )


def _payment_state(order: Order, payment) -> str:
    if order.payment_status in PAID_STATUSES:
        return PaymentState.PAID
    if order.status in CLOSED_STATUSES or payment is None:
        return PaymentState.CLOSED
    gateway = gateways.enabled().get(payment.gateway)
    if gateway is None or not gateway.is_online:
        # A gateway switched off since keeps its orders payable the way they were told.
        return PaymentState.INSTRUCTIONS
    if payment.status == Payment.Status.FAILED:
        return PaymentState.FAILED
    started = [t for t in payment.transactions.all() if t.kind == PaymentTransaction.Kind.START]
    if started and not started[-1].success and not payment.redirect_url:
        # The provider could not open a payment page: there is nothing to wait for.
        return PaymentState.FAILED
    return PaymentState.WAITING


def order_detail(order: Order) -> OrderDetail:
    """Describe an order fetched through `_detailed` (no further queries)."""
    attempts = list(order.payments.all())
    payment = attempts[-1] if attempts else None
    state = _payment_state(order, payment)
    instructions = ""
    if state == PaymentState.INSTRUCTIONS:
        instructions = payments.payment_instructions(order=order, payment=payment)
    pay_url = ""
    if state in {PaymentState.WAITING, PaymentState.FAILED} and payment is not None:
        pay_url = payment.redirect_url
    lines = list(order.lines.all())
    for line in lines:
        # The line's goods before its share of the discount, so the lines add up to the goods
        # total that the order's totals start from.
        line.amount = quantize(line.unit_price * line.quantity, order.currency)
    by_id = {line.pk: line for line in lines}
    shipments = list(order.fulfilments.all())
    for parcel in shipments:
        for shipped in parcel.lines.all():
            shipped.order_line = by_id[shipped.order_line_id]
    requested_at = order.open_refund_requested_at
    return OrderDetail(
        order=order,
        lines=lines,
        events=order.customer_events,
        payment=payment,
        payment_state=state,
        instructions=instructions,
        pay_url=pay_url,
        shipments=shipments,
        refund_requested_at=requested_at,
        can_request_refund=requested_at is None and order.payment_status in transitions.REFUNDABLE,
    )


def order_for_customer(*, customer, number: str) -> OrderDetail:
    """One of the customer's orders; another customer's (or a missing) number raises NotFound.

    Six queries (seven once shipped) whatever the number of lines, events, payments and
    shipments.
    """
    if customer is None or not customer.is_authenticated or not isinstance(number, str):
        raise _not_found()
    order = _detailed(Order.objects.filter(customer=customer, number=number)).first()
    if order is None:
        raise _not_found()
    return order_detail(order)


def _signer() -> signing.Signer:
    return signing.Signer(salt=LINK_SALT)


def order_link_token(*, order: Order) -> str:
    """The secret part of a link to the order for someone without an account (e-mails, the
    confirmation page): an HMAC of the number under SECRET_KEY, so it cannot be guessed."""
    signer = _signer()
    return signer.sign(order.number).rsplit(signer.sep, 1)[1]


def order_for_link(*, number: str, token: str) -> OrderDetail:
    """The order a signed link names; a wrong or tampered token raises NotFound."""
    if not isinstance(number, str) or not isinstance(token, str) or not token:
        raise _not_found()
    signer = _signer()
    try:
        signer.unsign(f"{number}{signer.sep}{token}")
    except signing.BadSignature:
        raise _not_found() from None
    order = _detailed(Order.objects.filter(number=number)).first()
    if order is None:
        raise _not_found()
    return order_detail(order)


def order_for_shopper(*, user, number: str, token: str = "") -> OrderDetail:
    """An order for whoever asks: through a signed link when a token is given, else through
    its owner. Anyone else gets NotFound, whether or not the order exists."""
    if token:
        return order_for_link(number=number, token=token)
    return order_for_customer(customer=user, number=number)
