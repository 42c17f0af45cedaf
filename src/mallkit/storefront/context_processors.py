from django.conf import settings
from django.utils.functional import SimpleLazyObject

from mallkit.catalog import selectors
from mallkit.core.cache import cached_fragment

from .presentation import prices_shown


def shop(request):
    """Shop-wide values every storefront template may use.

    The category menu is read only when a template shows it, and then from the fragment cache
    until the catalogue changes (one query after a change), so admin pages and e-mails do not pay
    for it. Nothing personal is kept here.
    """
    is_showcase = settings.MALLKIT_MODE == "showcase"
    return {
        "shop_name": settings.MALLKIT_SHOP_NAME,
        "shop_mode": settings.MALLKIT_MODE,
        "is_showcase": is_showcase,
        "show_prices": prices_shown(),
        "currency": settings.MALLKIT_CURRENCY,
        "menu_categories": SimpleLazyObject(
            lambda: cached_fragment("category-menu", selectors.category_tree)
        ),
        "account_url": settings.LOGIN_REDIRECT_URL,
    }
