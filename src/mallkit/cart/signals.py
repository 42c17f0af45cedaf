"""Signal receivers: triggers only; the rules live in services."""

from django.contrib import messages
from django.utils.translation import gettext as _

from . import services


def merge_cart_on_login(sender, request, user, **kwargs):
    """Merge the anonymous cart of the session into the member's cart at login."""
    if request is None or not hasattr(request, "session"):
        return
    adjustments = services.merge_session_cart(user=user, session=request.session)
    if adjustments and hasattr(request, "_messages"):
        messages.info(
            request,
            _("Some quantities in your cart were lowered to what can be ordered."),
        )
