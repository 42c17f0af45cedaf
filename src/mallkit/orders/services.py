"""Order services: creating orders and moving them through orders.transitions.

Every change of status writes an OrderEvent in the same transaction. A change is one
conditional UPDATE on the expected current state, so two racing changes cannot both win.
"""

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from mallkit.core import money
from mallkit.core.errors import Conflict
from mallkit.core.logging import log_order_event
from mallkit.inventory import services as inventory

from . import transitions
from .models import Order, OrderEvent, OrderLine

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


def create_order(*, fields: dict, lines: list[dict], actor=None) -> Order:
    """Insert an order and its lines with a fresh number (call inside a transaction)."""
    for _ in range(10):
        try:
            with transaction.atomic():
                order = Order.objects.create(number=new_order_number(), **fields)
                break
        except IntegrityError:
            if (
                fields.get("idempotency_key")
                and Order.objects.filter(idempotency_key=fields["idempotency_key"]).exists()
            ):
                raise
            continue
    else:  # pragma: no cover - 32**7 numbers make ten collisions in a row unthinkable
        raise Conflict("Could not number the order; please try again.")
    OrderLine.objects.bulk_create([OrderLine(order=order, **line) for line in lines])
    record_event(
        order=order,
        type=OrderEvent.Type.PLACED,
        actor=actor,
        message=f"Order placed, total {order.total} {order.currency}.",
        visible_to_customer=True,
    )
    return order


def _move(
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
    """Apply an action: one conditional UPDATE from the exact state checked, then an event."""
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
    order.refresh_from_db()
    record_event(
        order=order,
        type=event_type or action,
        message=message,
        actor=actor,
        data=data,
        visible_to_customer=visible,
    )
    return order


def mark_paid(*, order: Order, amount, actor=None, note: str = "") -> Order:
    """Record that the order's money arrived; a pending order becomes confirmed."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        return _move(
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


def confirm(*, order: Order, actor=None, note: str = "") -> Order:
    """Accept an order for packing before it is paid (cash on delivery)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        return _move(
            order,
            "confirm",
            actor=actor,
            event_type=OrderEvent.Type.CONFIRMED,
            message=note,
            updates={"expires_at": None},
        )


def flag(*, order: Order, reason: str, actor=None, data=None) -> None:
    """Ask staff to look at an order (e.g. a payment that does not match)."""
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(
            is_flagged=True, flag_reason=reason[:255], updated_at=timezone.now()
        )
        record_event(
            order=order,
            type=OrderEvent.Type.PAYMENT_MISMATCH,
            message=reason,
            actor=actor,
            data=data,
        )


def release_order_stock(*, order: Order, actor=None) -> None:
    """Give back the stock an unshipped order holds."""
    quantities = {}
    for line in order.lines.all():
        remaining = line.quantity - line.quantity_shipped
        if line.variant_id and remaining > 0:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + remaining
    if quantities:
        inventory.release_stock(quantities=quantities, reference=order.number, user=actor)


def expire_order(*, order: Order) -> bool:
    """Cancel an unpaid online order whose time ran out and give its stock back."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not transitions.allowed(order, "expire"):
            return False
        _move(
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
    """Mark a reserved refund as made: the payment status follows what is left, and an event."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        status = (
            Order.PaymentStatus.REFUNDED
            if order.amount_refunded >= order.amount_paid
            else Order.PaymentStatus.PARTIALLY_REFUNDED
        )
        return _move(
            order,
            "refund",
            actor=actor,
            event_type=OrderEvent.Type.REFUNDED,
            updates={"payment_status": status},
            message=note or f"Refunded {amount} {order.currency}.",
            data={"amount": str(amount)},
        )
