"""Order services: creating orders and moving them through orders.transitions.

Every change of status writes an OrderEvent in the same transaction. A change is one
conditional UPDATE on the expected current state, so two racing changes cannot both win.
Packing and shipping live in orders.fulfilment; cancelling, refunding and confirming payments,
which also involve the payments app, in orders.processing.
"""

import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from mallkit.core import money
from mallkit.core.db import insert
from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.core.logging import log_order_event
from mallkit.inventory import services as inventory

from . import transitions
from .invoicing import services as invoicing
from .models import CustomerNote, Order, OrderEvent, OrderLine, RefundRequest

NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread


def new_order_number() -> str:
    code = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(7))
    return f"{settings.MALLKIT_ORDER_PREFIX}-{code}"


def record_event(
    *,
    order: Order,
    type: str,
    message: str = "",
    actor=None,
    data=None,
    visible_to_customer: bool = False,
) -> OrderEvent:
    """Add an entry to the order's timeline (and a line to the log once it is committed)."""
    event = OrderEvent.objects.create(
        order=order,
        type=type,
        message=message,
        data=data or {},
        actor=actor if actor is not None and actor.is_authenticated else None,
        visible_to_customer=visible_to_customer,
    )
    log_order_event(event)
    return event


def create_order(
    *, fields: dict, lines: list[dict], actor=None, confirm_note: str | None = None
) -> Order:
    """Insert an order with a fresh number, its lines and its "placed" event.

    Call inside a transaction. An IntegrityError means the number or the idempotency key is
    taken; the caller rolls back and retries or replays (the order number has 32**7 values).
    `confirm_note`: accept the order for packing at once, as `confirm` would (cash on
    delivery): checked against the transitions table, inserted confirmed, with both events.
    The lines are left on the order, so `order.lines.all()` reads no rows.
    """
    order = Order(number=new_order_number(), **fields)
    events = [
        OrderEvent(
            order=order,
            type=OrderEvent.Type.PLACED,
            actor=actor if actor is not None and actor.is_authenticated else None,
            message=f"Order placed, total {order.total} {order.currency}.",
            visible_to_customer=True,
        )
    ]
    if confirm_note is not None:
        rule = transitions.check(order, "confirm")
        order.status = rule.target
        order.expires_at = None
        events.append(
            OrderEvent(
                order=order,
                type=OrderEvent.Type.CONFIRMED,
                message=confirm_note,
                visible_to_customer=True,
            )
        )
    # Three statements built once per process (core.db.insert): every order writes these.
    insert([order])
    order_lines = [OrderLine(order=order, **line) for line in lines]
    insert(order_lines)
    insert(events)
    for event in events:
        log_order_event(event)
    # Left as prefetch_related("lines") leaves them (Django's prefetch_one_level does the
    # same), so order.lines.all() answers the rows just written; filtering still queries.
    written = order.lines.get_queryset()
    written._result_cache = order_lines
    written._prefetch_done = True
    order._prefetched_objects_cache = {"lines": written}
    return order


def move_order(
    order: Order,
    action: str,
    *,
    actor=None,
    updates=None,
    event_type=None,
    message: str = "",
    data=None,
    visible: bool = True,
) -> Order:
    """Apply an action: one conditional UPDATE from the exact state checked, then an event.

    The one writer of an order's statuses; the event is left on the order as `last_event`.
    """
    rule = transitions.check(order, action)
    changes = dict(updates or {})
    if rule.target is not None:
        changes["status"] = rule.target
    changes["updated_at"] = timezone.now()
    updated = Order.objects.filter(
        pk=order.pk,
        status=order.status,
        payment_status=order.payment_status,
        fulfilment_status=order.fulfilment_status,
    ).update(**changes)
    if not updated:
        order.refresh_from_db()
        raise transitions.TransitionNotAllowed(
            f"Order {order.number} changed meanwhile; it is now {order.get_status_display()}."
        )
    if any(hasattr(value, "resolve_expression") for value in changes.values()):
        # An expression such as F("amount_paid") + 10: read what the database made of it.
        order.refresh_from_db()
    else:
        for name, value in changes.items():
            setattr(order, name, value)
    order.last_event = record_event(
        order=order,
        type=event_type or action,
        message=message,
        actor=actor,
        data=data,
        visible_to_customer=visible,
    )
    return order


def mark_paid(*, order: Order, amount, actor=None, note: str = "") -> Order:
    """Record that the order's money arrived; a pending order becomes confirmed and is invoiced.

    The invoice takes its number in this transaction, so a payment that rolls back leaves no gap.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order = move_order(
            order,
            "confirm_payment",
            actor=actor,
            event_type=OrderEvent.Type.PAID,
            updates={
                "payment_status": Order.PaymentStatus.PAID,
                "amount_paid": F("amount_paid") + amount,
                "expires_at": None,
            },
            message=note or f"Payment of {amount} {order.currency} received.",
        )
        invoicing.issue_invoice(order=order, actor=actor)
        return order


def confirm(*, order: Order, actor=None, note: str = "", locked: bool = False) -> Order:
    """Accept an order for packing before it is paid (cash on delivery).

    `locked`: the caller's transaction already holds the row as given (it created the order or
    locked it), so it is not read again.
    """
    with transaction.atomic():
        if not locked:
            order = Order.objects.select_for_update().get(pk=order.pk)
        return move_order(
            order,
            "confirm",
            actor=actor,
            event_type=OrderEvent.Type.CONFIRMED,
            message=note,
            updates={"expires_at": None},
        )


def flag(
    *,
    order: Order,
    reason: str,
    actor=None,
    data=None,
    type: str = OrderEvent.Type.PAYMENT_MISMATCH,
) -> None:
    """Ask staff to look at an order (e.g. a payment that does not match)."""
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(
            is_flagged=True, flag_reason=reason[:255], updated_at=timezone.now()
        )
        record_event(
            order=order,
            type=type,
            message=reason,
            actor=actor,
            data=data,
        )


def release_order_stock(*, order: Order, actor=None) -> dict[int, int]:
    """Give back the stock an order holds for units not shipped, which will not ship any more.

    Call with the order locked. Returns the units released by variant id.
    """
    quantities = {}
    for line in OrderLine.objects.filter(order=order):
        remaining = line.quantity_to_ship
        if remaining <= 0:
            continue
        updated = OrderLine.objects.filter(
            pk=line.pk,
            quantity_shipped=line.quantity_shipped,
            quantity_cancelled=line.quantity_cancelled,
        ).update(quantity_cancelled=F("quantity_cancelled") + remaining)
        if not updated:
            raise Conflict(f"Order {order.number} changed meanwhile; try again.")
        if line.variant_id:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + remaining
    if quantities:
        inventory.release_stock(quantities=quantities, reference=order.number, user=actor)
    return quantities


def expire_order(*, order: Order) -> bool:
    """Cancel an unpaid online order whose time ran out and give its stock back."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not transitions.allowed(order, "expire"):
            return False
        move_order(
            order,
            "expire",
            event_type=OrderEvent.Type.EXPIRED,
            message="Not paid in time; the stock was released.",
        )
        release_order_stock(order=order)
        return True


def expire_unpaid_orders(*, now=None) -> int:
    """Expire every unpaid online order past its time; returns how many."""
    now = now or timezone.now()
    due = Order.objects.filter(
        status=Order.Status.PENDING,
        payment_status=Order.PaymentStatus.UNPAID,
        expires_at__lte=now,
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if expire_order(order=Order(pk=pk)))


def reserve_refund(*, order: Order, amount) -> bool:
    """Count a refund about to be made against what the order was paid (inside a transaction).

    One conditional UPDATE, so racing refunds can never add up to more than was paid; False when
    the amount does not fit. Raises TransitionNotAllowed when the order cannot be refunded.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    transitions.check(order, "refund")
    after = money.added("amount_refunded", amount, order.currency)
    return bool(
        Order.objects.filter(pk=order.pk, amount_paid__gte=after).update(
            amount_refunded=after, updated_at=timezone.now()
        )
    )


def release_refund(*, order: Order, amount) -> None:
    """Give back a reservation made by reserve_refund when the refund did not happen."""
    Order.objects.filter(pk=order.pk, amount_refunded__gte=amount).update(
        amount_refunded=money.added("amount_refunded", -amount, order.currency),
        updated_at=timezone.now(),
    )


def record_refund(*, order: Order, amount, actor=None, note: str = "") -> Order:
    """Mark a reserved refund as made: the payment status follows what is left, an event and a
    credit note (numbered in this transaction, like invoices)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        status = (
            Order.PaymentStatus.REFUNDED
            if order.amount_refunded >= order.amount_paid
            else Order.PaymentStatus.PARTIALLY_REFUNDED
        )
        message = note or f"Refunded {amount} {order.currency}."
        if order.payment_status == Order.PaymentStatus.REFUNDED:
            # A racing refund settled first, and the amount refunded it judged by counts every
            # reservation, this one's included: the order is refunded already and this refund,
            # allowed when it was reserved, only needs its record.
            order.last_event = record_event(
                order=order,
                type=OrderEvent.Type.REFUNDED,
                message=message,
                actor=actor,
                data={"amount": str(amount)},
                visible_to_customer=True,
            )
        else:
            order = move_order(
                order,
                "refund",
                actor=actor,
                event_type=OrderEvent.Type.REFUNDED,
                updates={"payment_status": status},
                message=message,
                data={"amount": str(amount)},
            )
        invoicing.issue_credit_note(
            order=order, amount=amount, reason=note, event=order.last_event, actor=actor
        )
        return order


# Notes, flags and refund requests: no status changes, but each leaves an event -----------------


def add_note(*, order: Order, text: str, actor=None) -> OrderEvent:
    """Add a staff note to the order's timeline (never shown to the customer)."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Write a note first.", errors={"text": ["Write a note first."]})
    if len(text) > 2000:
        raise ValidationFailed(
            "A note has at most 2,000 characters.",
            errors={"text": ["A note has at most 2,000 characters."]},
        )
    return record_event(order=order, type=OrderEvent.Type.NOTE, message=text, actor=actor)


def clear_flag(*, order: Order, actor=None, note: str = "") -> Order:
    """Take the order off the "flagged" queue once staff have dealt with it."""
    with transaction.atomic():
        if not Order.objects.filter(pk=order.pk, is_flagged=True).update(
            is_flagged=False, flag_reason="", updated_at=timezone.now()
        ):
            raise Conflict(f"Order {order.number} is not flagged.", code="not_flagged")
        record_event(
            order=order,
            type=OrderEvent.Type.FLAG_CLEARED,
            message=note or f"Flag cleared ({order.flag_reason})."[:500],
            actor=actor,
        )
    order.refresh_from_db()
    return order


def request_refund(*, order: Order, reason: str, amount=None, actor=None) -> RefundRequest:
    """Put the order in the "refund requested" queue (asked by its customer, or by staff).

    Refused while the order has nothing paid left or a request of it is still open. A request
    of the order's own customer is shown on their timeline; one made by staff is not.
    """
    reason = (reason or "").strip()[:1000]
    if not reason:
        message = gettext("Say why the refund is wanted.")
        raise ValidationFailed(message, errors={"reason": [message]})
    if amount is not None:
        try:
            amount = money.parse_amount(amount, order.currency)
        except ValueError:
            message = gettext("Enter a valid amount, such as 12.50, or leave it empty.")
            raise ValidationFailed(message, errors={"amount": [message]}) from None
        if amount <= 0:
            amount = None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.payment_status not in transitions.REFUNDABLE:
            raise transitions.TransitionNotAllowed(
                gettext("Order %(number)s has nothing paid left to refund.")
                % {"number": order.number}
            )
        if RefundRequest.objects.filter(order=order, status=RefundRequest.Status.OPEN).exists():
            raise Conflict(
                gettext("A refund of order %(number)s has been requested already.")
                % {"number": order.number},
                code="refund_already_requested",
            )
        if amount is not None and amount > order.amount_refundable:
            message = gettext("At most %(amount)s %(currency)s is left to refund.") % {
                "amount": money.format_amount(order.amount_refundable, order.currency),
                "currency": order.currency,
            }
            raise ValidationFailed(message, errors={"amount": [message]})
        requested_by = actor if actor is not None and actor.is_authenticated else None
        request = RefundRequest.objects.create(
            order=order, amount=amount, reason=reason, requested_by=requested_by
        )
        record_event(
            order=order,
            type=OrderEvent.Type.REFUND_REQUESTED,
            message=reason,
            actor=actor,
            data={"amount": str(amount) if amount is not None else None},
            visible_to_customer=(requested_by is not None and requested_by.pk == order.customer_id),
        )
    return request


def close_refund_requests(
    *, order: Order, status: str = RefundRequest.Status.REFUNDED, actor=None, note: str = ""
) -> int:
    """Close the order's open refund requests (refunded or declined); returns how many."""
    with transaction.atomic():
        closed = RefundRequest.objects.filter(order=order, status=RefundRequest.Status.OPEN).update(
            status=status, closed_at=timezone.now()
        )
        if closed and status == RefundRequest.Status.DECLINED:
            record_event(
                order=order,
                type=OrderEvent.Type.NOTE,
                message=note or "Refund request declined.",
                actor=actor,
            )
    return closed


def add_customer_note(*, customer, text: str, actor=None) -> CustomerNote:
    """Keep a staff note on a customer's page."""
    text = (text or "").strip()
    if not text or len(text) > 2000:
        message = "Write a note of at most 2,000 characters."
        raise ValidationFailed(message, errors={"text": [message]})
    return CustomerNote.objects.create(
        customer=customer,
        author=actor if actor is not None and actor.is_authenticated else None,
        text=text,
    )
