"""The back office's sidebar: each item shows only to staff holding its permission.

Pages of other domains (orders, customers…) join by adding a MenuItem here; an item whose URL
does not exist (yet) is left out.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .access import can


@dataclass(frozen=True)
class MenuItem:
    section: str
    label: str
    url_name: str
    permissions: tuple[str, ...] = ()  # the ones the page's view requires; () for all staff


MENU = [
    MenuItem(_("Overview"), _("Dashboard"), "backoffice:dashboard"),
    MenuItem(_("Sales"), _("Orders"), "backoffice:orders", ("orders.view_order",)),
    MenuItem(_("Sales"), _("Customers"), "backoffice:customers", ("accounts.view_user",)),
    MenuItem(_("Catalogue"), _("Products"), "backoffice:products", ("catalog.view_product",)),
    MenuItem(_("Catalogue"), _("Categories"), "backoffice:categories", ("catalog.view_category",)),
    MenuItem(
        _("Catalogue"),
        _("Import / export"),
        "backoffice:imports",
        ("catalog.add_product", "catalog.change_product"),
    ),
    MenuItem(
        _("Stock"),
        _("Low stock"),
        "backoffice:low_stock",
        ("inventory.view_stocklevel", "catalog.view_product"),
    ),
]


def menu_for(request) -> list[dict]:
    """The sections and items `request.user` may use, the current page's item marked."""
    sections: dict[str, list[dict]] = {}
    for item in MENU:
        if not can(request.user, *item.permissions):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if item.url_name == "backoffice:dashboard":
            active = request.path == url
        else:
            active = request.path.startswith(url)
        sections.setdefault(str(item.section), []).append(
            {"label": item.label, "url": url, "active": active, "name": item.url_name}
        )
    return [{"title": title, "items": items} for title, items in sections.items()]
