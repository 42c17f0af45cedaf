from django.utils.functional import SimpleLazyObject

from . import selectors
from .services import cart_enabled


def cart(request):
    """`cart_count` for the header: the units in the shopper's cart, queried only when shown."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    return {
        "cart_enabled": cart_enabled(),
        "cart_count": SimpleLazyObject(
            lambda: selectors.cart_item_count(user=user, session=session) if cart_enabled() else 0
        ),
    }
