"""Template helpers for putting products in the cart from cards and product pages."""

from django import template
from django.conf import settings

from ..services import cart_enabled

register = template.Library()


@register.inclusion_tag("cart/_card_add.html", takes_context=True)
def card_add_to_cart(context, product):
    """ "Add to cart" for a product card with one variant; a link to choose for several.

    Reads the card's prefetched variants and its in_stock flag (no query).
    """
    variants = list(product.variants.all())
    request = getattr(context, "request", None)
    single = variants[0] if len(variants) == 1 else None
    return {
        "show": cart_enabled() and product.is_purchasable and bool(variants),
        "variant": single,
        "in_stock": getattr(product, "in_stock", True),
        "product": product,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
        # A filtered list's chosen options, which the product page then picks.
        "card_query": context.get("card_query", ""),
    }


@register.simple_tag
def max_line_quantity():
    return settings.MALLKIT_MAX_LINE_QUANTITY


@register.filter
def get_item(mapping, key):
    """{{ errors|get_item:line.id }} → mapping[key], or None."""
    return mapping.get(key) if hasattr(mapping, "get") else None
