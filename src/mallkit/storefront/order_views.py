"""A shopper's order pages: a member's order in their account, and an order by signed link.

Orders are always looked up through their owner or a signed link (orders.selectors), so another
customer's order number answers 404 exactly like a number that does not exist.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from mallkit.core.errors import NotFound
from mallkit.orders import selectors


@never_cache
@login_required
def order_detail(request, number):
    try:
        detail = selectors.order_for_customer(customer=request.user, number=number)
    except NotFound:
        raise Http404("No such order.") from None
    return render(
        request,
        "checkout/order_detail.html",
        {
            "detail": detail,
            "order": detail.order,
            "section": "orders",
            "shop_email": settings.MALLKIT_SHOP_EMAIL,
        },
    )


@never_cache
def order_by_link(request, number):
    """The link in the confirmation e-mail: /orders/<number>/?token=<signed>."""
    try:
        detail = selectors.order_for_shopper(
            user=request.user, number=number, token=request.GET.get("token", "")
        )
    except NotFound:
        raise Http404("No such order.") from None
    return render(request, "checkout/order_by_link.html", {"detail": detail, "order": detail.order})
