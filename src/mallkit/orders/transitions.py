"""The one table of what may happen to an order, and from which state.

Each action names the statuses it may start from, extra conditions on the payment and fulfilment
statuses, the permission staff need, and the status it leads to (None keeps the status).
`check(order, action)` is the single place that says yes or no.
"""

from dataclasses import dataclass

from mallkit.core.errors import Conflict, ValidationFailed

from .models import Order

S, P, F = Order.Status, Order.PaymentStatus, Order.FulfilmentStatus


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str | None
    permission: str
    payment: frozenset = frozenset()  # allowed payment statuses; empty means any
    fulfilment: frozenset = frozenset()  # allowed fulfilment statuses; empty means any


TRANSITIONS = {
    # A payment arrives (from a gateway webhook or confirmed by staff).
    "confirm_payment": Transition(
        sources=frozenset({S.PENDING, S.CONFIRMED}),
        target=S.CONFIRMED,
        permission="orders.confirm_payment",
        payment=frozenset({P.UNPAID}),
    ),
    # Staff accept an order to be packed without payment first (cash on delivery).
    "confirm": Transition(
        sources=frozenset({S.PENDING}),
        target=S.CONFIRMED,
        permission="orders.change_order",
    ),
    "ship": Transition(
        sources=frozenset({S.CONFIRMED}),
        target=None,
        permission="orders.fulfil_order",
        fulfilment=frozenset({F.UNFULFILLED, F.PARTIALLY_SHIPPED}),
    ),
    "deliver": Transition(
        sources=frozenset({S.CONFIRMED}),
        target=S.COMPLETED,
        permission="orders.fulfil_order",
        fulfilment=frozenset({F.SHIPPED}),
    ),
    "cancel": Transition(
        sources=frozenset({S.PENDING, S.CONFIRMED}),
        target=S.CANCELLED,
        permission="orders.cancel_order",
        fulfilment=frozenset({F.UNFULFILLED}),
    ),
    "expire": Transition(
        sources=frozenset({S.PENDING}),
        target=S.EXPIRED,
        permission="orders.change_order",
        payment=frozenset({P.UNPAID}),
    ),
    "refund": Transition(
        sources=frozenset({S.CONFIRMED, S.COMPLETED, S.CANCELLED}),
        target=None,
        permission="orders.refund_order",
        payment=frozenset({P.PAID, P.PARTIALLY_REFUNDED}),
    ),
}


class TransitionNotAllowed(Conflict):
    """That cannot be done to the order in its current state."""

    code = "transition_not_allowed"


class UnknownAction(ValidationFailed):
    """There is no such action."""

    code = "unknown_action"


def get(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except (KeyError, TypeError):
        raise UnknownAction(f"Unknown action “{action}”.") from None


def allowed(order: Order, action: str) -> bool:
    rule = get(action)
    return (
        order.status in rule.sources
        and (not rule.payment or order.payment_status in rule.payment)
        and (not rule.fulfilment or order.fulfilment_status in rule.fulfilment)
    )


def check(order: Order, action: str) -> Transition:
    """Return the action's rule, or raise TransitionNotAllowed naming the order's state."""
    rule = get(action)
    if not allowed(order, action):
        raise TransitionNotAllowed(
            f"Cannot {action.replace('_', ' ')} order {order.number}: it is "
            f"{order.get_status_display().lower()}, {order.get_payment_status_display().lower()}"
            f" and {order.get_fulfilment_status_display().lower()}."
        )
    return rule


def available_actions(order: Order) -> list[str]:
    return [action for action in TRANSITIONS if allowed(order, action)]
