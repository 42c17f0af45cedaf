"""Template helpers of the back office's order and customer pages."""

from django import template
from django.core.files.storage import default_storage

from mallkit.core.money import format_amount
from mallkit.orders import pdf
from mallkit.payments import gateways

register = template.Library()


@register.filter
def amount(value, currency):
    """{{ order.total|amount:order.currency }} → "129.00 USD"."""
    if value is None or value == "":
        return "—"
    return f"{format_amount(value, currency)} {currency}"


@register.filter
def media_url(name):
    """The URL of a stored file by its name (an order line keeps its picture's name)."""
    if not name:
        return ""
    try:
        return default_storage.url(name)
    except (ValueError, NotImplementedError):
        return ""


@register.filter
def address_lines(snapshot):
    """An order's address snapshot (a dict) as printed on a parcel."""
    return pdf.address_lines(snapshot)


@register.filter
def gateway_name(code):
    """A payment gateway's name for its code ("sandbox" → "Card (sandbox)")."""
    gateway = gateways.enabled().get(code)
    return str(gateway.name) if gateway is not None else code
