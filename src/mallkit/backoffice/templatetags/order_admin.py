"""Template helpers of the back office's order and customer pages."""

from django import template
from django.core.files.storage import default_storage

from mallkit.core.money import format_amount

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
def address_lines(address):
    """An address snapshot (a dict) as its non-empty lines."""
    address = address or {}
    city = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
    lines = [
        address.get("full_name"),
        address.get("line1"),
        address.get("line2"),
        city,
        address.get("region"),
        address.get("country"),
    ]
    return [line for line in lines if line]
