from django import template

from mallkit.catalog.images import rendition_url

from ..menu import menu_for

register = template.Library()


@register.simple_tag(takes_context=True)
def backoffice_menu(context):
    """The menu sections the current user may use: `{% backoffice_menu as menu %}`."""
    request = context.get("request")
    return menu_for(request) if request is not None else []


@register.filter
def rendition(fieldfile, alias):
    """The URL of a picture's rendition ("thumb", "card", "gallery", "zoom"), without a query."""
    try:
        return rendition_url(fieldfile, alias)
    except (KeyError, ValueError):
        return ""
