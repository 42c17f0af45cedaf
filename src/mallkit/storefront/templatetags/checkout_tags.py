"""Template helpers of the checkout and order pages."""

from django import template

from mallkit.accounts.countries import country_name as name_of_country
from mallkit.accounts.models import Address
from mallkit.checkout.services import ADDRESS_FIELDS

register = template.Library()


@register.filter
def country_name(code):
    """{{ address.country|country_name }} → "United Kingdom" in the active language."""
    return name_of_country(code or "")


@register.filter
def parcel_lines(snapshot):
    """{{ order.shipping_address|parcel_lines }} → an address snapshot's lines as printed on a
    parcel, in the country's order (the address book's one rule, so both read the same)."""
    snapshot = snapshot or {}
    fields = {name: str(snapshot.get(name) or "") for name in ADDRESS_FIELDS if name != "phone"}
    return Address(**fields).lines()
