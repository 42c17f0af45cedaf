"""Units back to stock: parcels that came back, or unshipped units a refund takes off an order.

Unshipped units of a line go back first (their allocation is released and they will not ship);
then shipped units, which are added to stock on hand as "returned". Every change is a
conditional UPDATE of the line, with the order locked, and a line in the stock ledger.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.inventory import services as inventory
from mallkit.inventory.models import StockMovement

from . import transitions
from .models import Order, OrderEvent, OrderLine
from .services import move_order

OPEN_FULFILMENT = {
    Order.FulfilmentStatus.UNFULFILLED,
    Order.FulfilmentStatus.PACKED,
    Order.FulfilmentStatus.PARTIALLY_SHIPPED,
}


@dataclass(frozen=True)
class LineReturn:
    line: OrderLine
    unshipped: int  # allocated units released: they will not ship
    shipped: int  # units that came back from the customer


def plan_restock(*, order: Order, quantities: dict) -> list[LineReturn]:
    """Check what is to come back, by order line id; raises ValidationFailed, changes nothing."""
    lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    plan, errors = [], []
    for line_id, quantity in (quantities or {}).items():
        line = lines.get(int(line_id)) if str(line_id).isdigit() else None
        if line is None:
            errors.append(f"Order {order.number} has no line {line_id}.")
            continue
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            errors.append(f"{line.sku}: the quantity must be a whole number.")
            continue
        if not quantity:
            continue
        unshipped = min(quantity, line.quantity_to_ship)
        shipped = quantity - unshipped
        if shipped > line.quantity_shipped - line.quantity_returned:
            most = line.quantity_to_ship + line.quantity_shipped - line.quantity_returned
            errors.append(f"{line.sku}: at most {most} can come back to stock.")
            continue
        plan.append(LineReturn(line, unshipped, shipped))
    if errors:
        raise ValidationFailed(" ".join(errors), code="invalid_lines", errors={"restock": errors})
    if not plan:
        raise ValidationFailed(
            "Choose at least one unit to return to stock.",
            code="nothing_to_restock",
            errors={"restock": ["Choose at least one unit to return to stock."]},
        )
    taken = {item.line.pk: item.unshipped for item in plan}
    left_to_ship = sum(line.quantity_to_ship - taken.get(pk, 0) for pk, line in lines.items())
    shipped_any = any(line.quantity_shipped for line in lines.values())
    if order.status == Order.Status.CONFIRMED and not left_to_ship and not shipped_any:
        message = "Nothing would be left to ship: cancel the order instead."
        raise ValidationFailed(message, code="cancel_instead", errors={"restock": [message]})
    return plan


def restock(*, order: Order, quantities: dict, actor=None, note: str = "") -> Order:
    """Return units of an order to stock (see the module's docstring for which units)."""
    transitions.authorize(actor, "restock")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        transitions.check(order, "restock")
        plan = plan_restock(order=order, quantities=quantities)
        released, described = {}, []
        for item in plan:
            line = item.line
            updated = OrderLine.objects.filter(
                pk=line.pk,
                quantity_cancelled__lte=F("quantity") - F("quantity_shipped") - item.unshipped,
                quantity_returned__lte=F("quantity_shipped") - item.shipped,
            ).update(
                quantity_cancelled=F("quantity_cancelled") + item.unshipped,
                quantity_returned=F("quantity_returned") + item.shipped,
            )
            if not updated:
                raise Conflict(f"Order {order.number} changed meanwhile; try again.")
            if line.variant_id and item.unshipped:
                released[line.variant_id] = released.get(line.variant_id, 0) + item.unshipped
            if line.variant_id and item.shipped:
                inventory.adjust_stock(
                    variant_id=line.variant_id,
                    change=item.shipped,
                    reason=StockMovement.Reason.RETURNED,
                    user=actor,
                    note=note[:255],
                    reference=order.number,
                )
            described.append(f"{item.unshipped + item.shipped} × {line.sku}")
        if released:
            inventory.release_stock(
                quantities=released,
                reference=order.number,
                user=actor,
                reason=StockMovement.Reason.RESTOCKED,
            )
        updates = {}
        lines = list(OrderLine.objects.filter(order=order))
        if (
            order.fulfilment_status in OPEN_FULFILMENT
            and not any(line.quantity_to_ship for line in lines)
            and any(line.quantity_shipped for line in lines)
        ):
            # What was left to ship is gone: the parcels sent are the whole order.
            updates["fulfilment_status"] = Order.FulfilmentStatus.SHIPPED
        return move_order(
            order,
            "restock",
            actor=actor,
            updates=updates,
            event_type=OrderEvent.Type.RESTOCKED,
            message=(note + " " if note else "") + "Back to stock: " + ", ".join(described) + ".",
            data={
                str(item.line.pk): {"unshipped": item.unshipped, "shipped": item.shipped}
                for item in plan
            },
            visible=False,
        )
