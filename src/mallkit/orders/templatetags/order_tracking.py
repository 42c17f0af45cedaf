"""Shipments on the shopper's pages: `{% shipments_for order as shipments %}`.

On a list, `{% shipments_for order among=orders as shipments %}` reads the shipments of every
order of the list in one query, the first time it is asked, so the page's queries do not grow
with its rows.
"""

from django import template

from ..models import Fulfilment

register = template.Library()
CACHE = "order_tracking_shipments"


@register.simple_tag(takes_context=True)
def shipments_for(context, order, among=None):
    """The order's shipments, oldest first, each with its carrier and tracking link."""
    if "fulfilments" in getattr(order, "_prefetched_objects_cache", {}):
        # An order's page reads them with the order (orders.selectors.order_detail).
        return list(order.fulfilments.all())
    found = context.render_context.setdefault(CACHE, {})
    if order.pk not in found:
        orders = list(among) if among is not None else [order]
        ids = {o.pk for o in orders} | {order.pk}
        for pk in ids:
            found.setdefault(pk, [])
        for parcel in Fulfilment.objects.filter(order_id__in=ids).order_by("shipped_at", "id"):
            found[parcel.order_id].append(parcel)
    return found[order.pk]
