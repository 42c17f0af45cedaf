"""Packing, shipping and delivering: the warehouse's side of an order.

Each step goes through orders.transitions with the order row locked; shipping takes the units off
the shelf through the inventory ledger in the same transaction, and the customer's e-mail with
the tracking link is queued for after the commit.
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F

from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.inventory import services as inventory
from mallkit.notifications import services as notifications

from . import carriers, transitions
from .models import Fulfilment, FulfilmentLine, Order, OrderEvent, OrderLine
from .services import move_order

Status = Order.FulfilmentStatus


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def pack(*, order: Order, actor=None, note: str = "") -> Order:
    """Mark an order packed: it leaves the "to pack" queue for "to ship"."""
    transitions.authorize(actor, "pack")
    with transaction.atomic():
        return move_order(
            _locked(order),
            "pack",
            actor=actor,
            updates={"fulfilment_status": Status.PACKED},
            event_type=OrderEvent.Type.PACKED,
            message=note or "Packed, ready to ship.",
            visible=False,
        )


def _clean_shipping(carrier: str, tracking_number: str, tracking_url: str) -> tuple[str, str, str]:
    errors = {}
    carrier = (carrier or "").strip()
    tracking_number = (tracking_number or "").strip()
    tracking_url = (tracking_url or "").strip()
    name = carriers.carrier_name(carrier) or carrier
    if not name or carrier == carriers.OTHER:
        errors["carrier"] = ["Name the carrier."]
    elif len(name) > 60:
        errors["carrier"] = ["At most 60 characters."]
    if len(tracking_number) > 100:
        errors["tracking_number"] = ["At most 100 characters."]
    if tracking_url:
        try:
            URLValidator(schemes=["http", "https"])(tracking_url)
        except ValidationError:
            errors["tracking_url"] = ["Enter a web address starting with https://."]
        if len(tracking_url) > 500:
            errors["tracking_url"] = ["At most 500 characters."]
    else:
        tracking_url = carriers.tracking_link(carrier_code=carrier, tracking_number=tracking_number)
    if errors:
        raise ValidationFailed("Please correct the shipping details.", errors=errors)
    return name, tracking_number, tracking_url


def _clean_quantities(order: Order, lines: list[OrderLine], quantities) -> dict[int, int]:
    """Units to ship by line id; None ships everything still to ship."""
    if quantities is None:
        return {line.pk: line.quantity_to_ship for line in lines if line.quantity_to_ship > 0}
    by_id = {line.pk: line for line in lines}
    clean, errors = {}, []
    for line_id, quantity in quantities.items():
        line = by_id.get(int(line_id)) if str(line_id).isdigit() else None
        if line is None:
            errors.append(f"Order {order.number} has no line {line_id}.")
        elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            errors.append(f"{line.sku}: the quantity must be a whole number.")
        elif quantity > line.quantity_to_ship:
            errors.append(f"{line.sku}: only {line.quantity_to_ship} left to ship.")
        elif quantity:
            clean[line.pk] = quantity
    if errors:
        raise ValidationFailed(" ".join(errors), code="invalid_lines", errors={"lines": errors})
    return clean


def ship(
    *,
    order: Order,
    carrier: str,
    tracking_number: str = "",
    tracking_url: str = "",
    quantities: dict[int, int] | None = None,
    actor=None,
) -> Fulfilment:
    """Send some or all of the units still to ship (`quantities` by order line id; None for all).

    The units leave stock through the ledger (allocated → shipped), the order becomes partially
    shipped or shipped, and the customer is e-mailed the carrier and tracking link.
    """
    transitions.authorize(actor, "ship")
    with transaction.atomic():
        order = _locked(order)
        transitions.check(order, "ship")
        name, tracking_number, tracking_url = _clean_shipping(
            carrier, tracking_number, tracking_url
        )
        lines = list(OrderLine.objects.filter(order=order))
        quantities = _clean_quantities(order, lines, quantities)
        if not quantities:
            raise ValidationFailed(
                "Choose at least one unit to ship.", code="nothing_to_ship", errors={"lines": []}
            )
        stock = {}
        for line in lines:
            quantity = quantities.get(line.pk)
            if not quantity:
                continue
            updated = OrderLine.objects.filter(
                pk=line.pk,
                quantity_shipped__lte=F("quantity") - F("quantity_cancelled") - quantity,
            ).update(quantity_shipped=F("quantity_shipped") + quantity)
            if not updated:
                raise Conflict(f"Order {order.number} changed meanwhile; try again.")
            line.quantity_shipped += quantity
            if line.variant_id:
                stock[line.variant_id] = stock.get(line.variant_id, 0) + quantity
        if stock:
            inventory.ship_stock(quantities=stock, reference=order.number, user=actor)
        fulfilment = Fulfilment.objects.create(
            order=order,
            carrier=name,
            tracking_number=tracking_number,
            tracking_url=tracking_url,
            shipped_by=actor if actor is not None and actor.is_authenticated else None,
        )
        FulfilmentLine.objects.bulk_create(
            [
                FulfilmentLine(fulfilment=fulfilment, order_line_id=line_id, quantity=quantity)
                for line_id, quantity in sorted(quantities.items())
            ]
        )
        done = all(line.quantity_to_ship == 0 for line in lines)
        units = sum(quantities.values())
        move_order(
            order,
            "ship",
            actor=actor,
            updates={"fulfilment_status": Status.SHIPPED if done else Status.PARTIALLY_SHIPPED},
            event_type=OrderEvent.Type.SHIPPED,
            message=(
                f"{units} unit{'s' if units != 1 else ''} shipped with {name}"
                + (f", tracking number {tracking_number}." if tracking_number else ".")
            ),
            data={
                "fulfilment": fulfilment.pk,
                "carrier": name,
                "tracking_number": tracking_number,
                "tracking_url": tracking_url,
                "lines": {str(line_id): quantity for line_id, quantity in quantities.items()},
            },
        )
        notifications.send_order_shipped(order=order, fulfilment=fulfilment)
    return fulfilment


def deliver(*, order: Order, actor=None, note: str = "") -> Order:
    """Mark a shipped (and paid) order delivered; it is then completed."""
    transitions.authorize(actor, "deliver")
    with transaction.atomic():
        return move_order(
            _locked(order),
            "deliver",
            actor=actor,
            updates={"fulfilment_status": Status.DELIVERED},
            event_type=OrderEvent.Type.DELIVERED,
            message=note or "Delivered; the order is complete.",
        )
