"""Template helpers of the account pages and of the favourite button on product cards."""

from django import template

from mallkit.cart.services import cart_enabled

from .. import selectors

register = template.Library()


def _favourites(request) -> dict[int, str]:
    """The member's favourited SKU per product, read once per request for every card."""
    if request is None:
        return {}
    cached = getattr(request, "_mallkit_favourites", None)
    if cached is None:
        cached = selectors.favourite_skus_by_product(user=getattr(request, "user", None))
        request._mallkit_favourites = cached
    return cached


@register.inclusion_tag("account/_favourite_button.html", takes_context=True)
def favourite_button(context, product, variant=None):
    """A one-click heart for a product card or page.

    A product card has no chosen variant, so it favourites the product's first variant; when the
    member already favourited a variant of the product, the button shows that and removes it.
    """
    request = getattr(context, "request", None)
    user = getattr(request, "user", None)
    favourited_sku = _favourites(request).get(product.pk)
    if variant is None:
        variant = next(iter(product.variants.all()), None)
    sku = favourited_sku or (variant.sku if variant is not None else "")
    return {
        "show": bool(sku) and cart_enabled(),
        "sku": sku,
        "favourited": favourited_sku is not None,
        "signed_in": user is not None and user.is_authenticated,
        "next": request.get_full_path() if request is not None else "",
        "product_name": product.name,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def address_lines(address):
    """{{ address|address_lines }} → the lines of an address as printed on a parcel."""
    return address.lines()


@register.filter
def minutes(duration):
    """{{ cooloff_timedelta|minutes }} → the whole minutes of a timedelta, rounded up."""
    seconds = duration.total_seconds() if hasattr(duration, "total_seconds") else 0
    return max(1, -(-int(seconds) // 60))
