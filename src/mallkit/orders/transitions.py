"""The one table of what may happen to an order, and from which state.

Each action names the statuses it may start from, extra conditions on the payment and fulfilment
statuses, the permission staff need, and the status it leads to (None keeps the status).
`check(order, action)` is the single place that says yes or no; `authorize(user, action)` the
single place that says whether a member of staff may ask.

    action           from status             payment             fulfilment            leads to
    confirm_payment  pending, confirmed      unpaid              any                   confirmed
    confirm          pending                 any                 any                   confirmed
    pack             confirmed               any                 unfulfilled           (same)
    ship             confirmed               any                 unfulfilled, packed,  (same)
                                                                 partially shipped
    deliver          confirmed               paid, partially     shipped               completed
                                             refunded, refunded
    cancel           pending, confirmed      any                 unfulfilled, packed   cancelled
    expire           pending                 unpaid              any                   expired
    refund           confirmed, completed,   paid, partially     any                   (same)
                     cancelled               refunded
    restock          confirmed, completed,   any                 any                   (same)
                     cancelled

Actions that change no status (notes, flags, e-mails, refund requests) are in STAFF_TASKS with
the permission they need.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from mallkit.core.errors import Conflict, PermissionDenied, ValidationFailed

from .models import Order

S, P, F = Order.Status, Order.PaymentStatus, Order.FulfilmentStatus


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str | None
    permission: str
    label: str
    payment: frozenset = frozenset()  # allowed payment statuses; empty means any
    fulfilment: frozenset = frozenset()  # allowed fulfilment statuses; empty means any


PAID = frozenset({P.PAID, P.PARTIALLY_REFUNDED, P.REFUNDED})
# Something paid is left to give back: refunds, and customers' refund requests, need this.
REFUNDABLE = frozenset({P.PAID, P.PARTIALLY_REFUNDED})

TRANSITIONS = {
    # A payment arrives (from a gateway webhook or confirmed by staff).
    "confirm_payment": Transition(
        sources=frozenset({S.PENDING, S.CONFIRMED}),
        target=S.CONFIRMED,
        permission="orders.confirm_payment",
        label=_("Confirm payment received"),
        payment=frozenset({P.UNPAID}),
    ),
    # Staff accept an order to be packed without payment first (cash on delivery).
    "confirm": Transition(
        sources=frozenset({S.PENDING}),
        target=S.CONFIRMED,
        permission="orders.change_order",
        label=_("Accept without payment"),
    ),
    # The parcel is packed: the order moves from the "to pack" queue to "to ship".
    "pack": Transition(
        sources=frozenset({S.CONFIRMED}),
        target=None,
        permission="orders.fulfil_order",
        label=_("Mark packed"),
        fulfilment=frozenset({F.UNFULFILLED}),
    ),
    # Some or all of the units still to ship leave with a carrier. Packing first is optional,
    # so a small shop may pack and ship in one step.
    "ship": Transition(
        sources=frozenset({S.CONFIRMED}),
        target=None,
        permission="orders.fulfil_order",
        label=_("Ship"),
        fulfilment=frozenset({F.UNFULFILLED, F.PACKED, F.PARTIALLY_SHIPPED}),
    ),
    # Completed means delivered and paid: cash on delivery is confirmed before the order closes.
    "deliver": Transition(
        sources=frozenset({S.CONFIRMED}),
        target=S.COMPLETED,
        permission="orders.fulfil_order",
        label=_("Mark delivered"),
        payment=PAID,
        fulfilment=frozenset({F.SHIPPED}),
    ),
    # Only while nothing has left the warehouse; shipped goods come back as a refund with restock.
    "cancel": Transition(
        sources=frozenset({S.PENDING, S.CONFIRMED}),
        target=S.CANCELLED,
        permission="orders.cancel_order",
        label=_("Cancel"),
        fulfilment=frozenset({F.UNFULFILLED, F.PACKED}),
    ),
    "expire": Transition(
        sources=frozenset({S.PENDING}),
        target=S.EXPIRED,
        permission="orders.change_order",
        label=_("Expire"),
        payment=frozenset({P.UNPAID}),
    ),
    "refund": Transition(
        sources=frozenset({S.CONFIRMED, S.COMPLETED, S.CANCELLED}),
        target=None,
        permission="orders.refund_order",
        label=_("Refund"),
        payment=REFUNDABLE,
    ),
    # Units come back to stock: returned parcels, or unshipped units a refund takes off the order.
    "restock": Transition(
        sources=frozenset({S.CONFIRMED, S.COMPLETED, S.CANCELLED}),
        target=None,
        permission="orders.refund_order",
        label=_("Return to stock"),
    ),
}

# Staff actions that change no status, and the permission each needs.
STAFF_TASKS = {
    "note": "orders.note_order",
    "clear_flag": "orders.change_order",
    "request_refund": "orders.change_order",
    "decline_refund_request": "orders.refund_order",
    "resend_confirmation": "orders.change_order",
}


class TransitionNotAllowed(Conflict):
    """That cannot be done to the order in its current state."""

    code = "transition_not_allowed"


class UnknownAction(ValidationFailed):
    """There is no such action."""

    code = "unknown_action"


class ActionForbidden(PermissionDenied):
    """Your role does not allow this action."""

    code = "permission_denied"


def get(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except (KeyError, TypeError):
        raise UnknownAction(f"Unknown action “{action}”.") from None


def permission(action: str) -> str:
    """The permission ("app_label.codename") staff need for an action or a staff task."""
    if isinstance(action, str) and action in STAFF_TASKS:
        return STAFF_TASKS[action]
    return get(action).permission


def may(user, action: str) -> bool:
    """Whether `user` is active staff whose role allows the action (or staff task)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(permission(action))
    )


def authorize(user, action: str) -> None:
    """Raise ActionForbidden unless `user` may perform the action (None is the shop itself)."""
    if user is not None and not may(user, action):
        raise ActionForbidden(f"Your role does not allow “{action.replace('_', ' ')}”.")


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
