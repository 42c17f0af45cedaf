"""The order pipeline where orders meet payments: confirming money received, cancelling and
refunding, and the one entry point the API uses for every action of the transition table.

Each function checks the actor's role (orders.transitions.authorize; None is the shop itself)
and the order's state before anything changes. Gateways are called outside database
transactions, after the order's own change is committed.
"""

from decimal import Decimal

from django.db import transaction

from mallkit.core import money
from mallkit.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from mallkit.notifications import services as notifications
from mallkit.payments import gateways
from mallkit.payments import selectors as payment_selectors
from mallkit.payments import services as payments
from mallkit.promotions import services as promotions

from . import fulfilment, returns, services, transitions
from .models import Order, OrderEvent, RefundRequest


def _fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def confirm_payment(*, order: Order, actor=None, note: str = "") -> Order:
    """Staff saw the money arrive (a bank transfer, cash on delivery): the payment is captured,
    the order marked paid and invoiced, and the customer told."""
    transitions.authorize(actor, "confirm_payment")
    payment = payment_selectors.payment_to_confirm(order=order)
    with transaction.atomic():
        # Payment before order, as payments.services locks them.
        if payment is not None:
            payment = payment_selectors.lock_payment(payment=payment)
        locked = Order.objects.select_for_update().get(pk=order.pk)
        transitions.check(locked, "confirm_payment")
        if payment is None:
            raise Conflict(
                f"Order {locked.number} has no payment waiting to be confirmed.",
                code="no_open_payment",
            )
        payments.record_success(
            payment=payment,
            amount=payment.amount,
            currency=payment.currency,
            actor=actor,
            raw={"confirmed_by_staff": True},
        )
        if note.strip():
            services.add_note(order=locked, text=note, actor=actor)
    return _fresh(order)


def cancel(*, order: Order, actor=None, reason: str = "") -> Order:
    """Cancel an order nothing of which has shipped: its stock and voucher go back, and money
    paid online is refunded through the gateway (or the order is flagged for a refund by hand)."""
    transitions.authorize(actor, "cancel")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        locked = services.move_order(
            locked,
            "cancel",
            actor=actor,
            event_type=OrderEvent.Type.CANCELLED,
            message=reason.strip() or "Cancelled by the shop.",
        )
        services.release_order_stock(order=locked, actor=actor)
        promotions.release_voucher(order=locked)
    _give_back_payments(order=locked, actor=actor)
    return _fresh(order)


def _give_back_payments(*, order: Order, actor=None) -> None:
    """After a cancellation: refund what was paid where the gateway can, flag the rest."""
    for payment in payment_selectors.refundable_payments(order=order):
        left = payment.amount - payment.amount_refunded
        try:
            gateway = gateways.get(payment.gateway)
        except NotFound:
            gateway = None
        if gateway is None or not gateway.supports_refunds:
            services.flag(
                order=order,
                actor=actor,
                type=OrderEvent.Type.FLAGGED,
                reason=(
                    f"Cancelled after {left} {payment.currency} was paid by {payment.gateway}: "
                    "give the money back by hand, then record the refund."
                ),
            )
            continue
        try:
            payments.refund_payment(
                payment=payment,
                amount=left,
                actor=actor,
                reason=f"Order cancelled: {left} {payment.currency} refunded through "
                f"{gateway.name}.",
            )
        except DomainError as error:
            services.flag(
                order=order,
                actor=actor,
                type=OrderEvent.Type.FLAGGED,
                reason=f"Cancelled, but refunding {left} {payment.currency} failed: "
                f"{error.message}",
            )
    services.close_refund_requests(order=order, actor=actor)


def parse_refund_amount(amount, order: Order) -> Decimal:
    try:
        amount = money.parse_amount(amount, order.currency)
    except (ValueError, TypeError) as error:
        raise ValidationFailed(
            str(error), code="invalid_amount", errors={"amount": [str(error)]}
        ) from None
    if amount <= 0:
        message = "A refund must be more than zero."
        raise ValidationFailed(message, code="invalid_amount", errors={"amount": [message]})
    return amount


def refund(*, order: Order, amount, reason: str = "", restock=None, actor=None) -> Order:
    """Give money back, through the payment's gateway where it can (otherwise recorded as made
    by hand), never more than was paid; `restock` by order line id returns units to stock.

    Bad amounts, too much, or units that cannot come back are refused before any money moves.
    """
    transitions.authorize(actor, "refund")
    # A form sends a 0 for every line not coming back; those are no restock at all.
    restock = {line: quantity for line, quantity in (restock or {}).items() if quantity != 0}
    if restock:
        transitions.authorize(actor, "restock")
    order = _fresh(order)
    transitions.check(order, "refund")
    amount = parse_refund_amount(amount, order)
    left = order.amount_paid - order.amount_refunded
    if amount > left:
        raise payments.RefundExceedsPaid(
            f"At most {left} {order.currency} of order {order.number} can be refunded.",
            errors={"amount": [f"At most {left} {order.currency}."]},
        )
    if restock:
        transitions.check(order, "restock")
        returns.plan_restock(order=order, quantities=restock)
    refundable = list(payment_selectors.refundable_payments(order=order))
    # Read afresh: a refund racing this one may have taken money since the order was read.
    # Never send part of the asked amount; each payment's own reservation is the final check.
    left = sum((p.amount - p.amount_refunded for p in refundable), Decimal(0))
    if refundable and amount > left:
        raise payments.RefundExceedsPaid(
            f"At most {left} {order.currency} of order {order.number} can be refunded.",
            errors={"amount": [f"At most {left} {order.currency}."]},
        )
    remaining = amount
    for payment in refundable:
        if remaining <= 0:
            break
        take = min(remaining, payment.amount - payment.amount_refunded)
        payments.refund_payment(payment=payment, amount=take, actor=actor, reason=reason.strip())
        remaining -= take
    if remaining > 0:
        services.flag(
            order=order,
            actor=actor,
            type=OrderEvent.Type.FLAGGED,
            reason=f"{remaining} {order.currency} of a refund matched no payment; check it.",
        )
    services.close_refund_requests(order=order, actor=actor)
    if restock:
        try:
            returns.restock(order=order, quantities=restock, actor=actor, note=reason.strip())
        except DomainError as error:
            raise Conflict(
                f"{amount} {order.currency} was refunded, but the stock was not returned: "
                f"{error.message}",
                code="restock_failed",
            ) from None
    return _fresh(order)


def resend_confirmation(*, order: Order, actor=None) -> None:
    """Send the order confirmation e-mail again (the customer lost it)."""
    transitions.authorize(actor, "resend_confirmation")
    with transaction.atomic():
        notifications.send_order_confirmation(order=order)
        services.record_event(
            order=order,
            type=OrderEvent.Type.EMAIL_REQUESTED,
            message=f"The order confirmation is sent again to {order.email}.",
            actor=actor,
        )


def decline_refund_request(*, order: Order, actor=None, note: str = "") -> int:
    transitions.authorize(actor, "decline_refund_request")
    closed = services.close_refund_requests(
        order=order,
        status=RefundRequest.Status.DECLINED,
        actor=actor,
        note=note.strip() or "Refund request declined.",
    )
    if not closed:
        raise Conflict(f"Order {order.number} has no open refund request.", code="no_request")
    return closed


def _lines(params: dict):
    lines = params.get("lines")
    if lines is None:
        return None
    return {item["line_id"]: item["quantity"] for item in lines}


# What each action of the table does when staff ask for it through the API. "expire" is left
# out: the shop expires unpaid orders itself.
ACTIONS = {
    "confirm_payment": lambda order, actor, p: confirm_payment(
        order=order, actor=actor, note=p.get("note") or ""
    ),
    "confirm": lambda order, actor, p: services.confirm(
        order=order, actor=actor, note=p.get("note") or ""
    ),
    "pack": lambda order, actor, p: fulfilment.pack(
        order=order, actor=actor, note=p.get("note") or ""
    ),
    "ship": lambda order, actor, p: fulfilment.ship(
        order=order,
        actor=actor,
        carrier=p.get("carrier") or "",
        tracking_number=p.get("tracking_number") or "",
        tracking_url=p.get("tracking_url") or "",
        quantities=_lines(p),
    ),
    "deliver": lambda order, actor, p: fulfilment.deliver(
        order=order, actor=actor, note=p.get("note") or ""
    ),
    "cancel": lambda order, actor, p: cancel(order=order, actor=actor, reason=p.get("note") or ""),
    "refund": lambda order, actor, p: refund(
        order=order,
        actor=actor,
        amount=p.get("amount") if p.get("amount") is not None else _left_to_refund(order),
        reason=p.get("note") or "",
        restock={item["line_id"]: item["quantity"] for item in p.get("restock") or []},
    ),
    "restock": lambda order, actor, p: returns.restock(
        order=order,
        actor=actor,
        quantities={item["line_id"]: item["quantity"] for item in p.get("restock") or []},
        note=p.get("note") or "",
    ),
}


def _left_to_refund(order: Order) -> Decimal:
    order = _fresh(order)
    return order.amount_paid - order.amount_refunded


def authorize_action(*, actor, action: str) -> None:
    """Refuse an action staff cannot ask for (400) or the actor's role may not do (403)."""
    transitions.get(action)
    if action not in ACTIONS:
        raise transitions.UnknownAction(f"“{action}” is done by the shop itself, not by staff.")
    transitions.authorize(actor, action)


def perform(*, order: Order, action: str, actor, params: dict | None = None) -> Order:
    """Run one action of the transition table for staff; returns the order as it is after.

    Raises UnknownAction (400), ActionForbidden (403), TransitionNotAllowed (409) or the
    action's own errors; a refused action changes nothing.
    """
    authorize_action(actor=actor, action=action)
    ACTIONS[action](order, actor, params or {})
    return _fresh(order)
