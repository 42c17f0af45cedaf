"""A shopper's order pages: a member's order in their account, and an order by signed link.

Orders are always looked up through their owner or a signed link (orders.selectors), so another
customer's order number answers 404 exactly like a number that does not exist.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from mallkit.core.errors import Conflict, NotFound, ValidationFailed
from mallkit.orders import selectors, services

from .forms import RefundRequestForm


def _customer_order(request, number):
    try:
        return selectors.order_for_customer(customer=request.user, number=number)
    except NotFound:
        raise Http404("No such order.") from None


def _order_page(request, detail, *, refund_form=None, status=200):
    return render(
        request,
        "checkout/order_detail.html",
        {
            "detail": detail,
            "order": detail.order,
            "section": "orders",
            "shop_email": settings.MALLKIT_SHOP_EMAIL,
            "refund_form": refund_form or RefundRequestForm(),
        },
        status=status,
    )


@never_cache
@login_required
def order_detail(request, number):
    return _order_page(request, _customer_order(request, number))


@never_cache
@login_required
def order_refund_request(request, number):
    """The "Ask for a refund" form of the order page."""
    detail = _customer_order(request, number)
    if request.method != "POST":
        # Back from the login page, say: the form is on the order's page.
        return redirect(detail.order)
    form = RefundRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_refund(
                order=detail.order,
                reason=form.cleaned_data["reason"],
                amount=form.cleaned_data["amount"],
                actor=request.user,
            )
        except ValidationFailed as error:
            for field, field_errors in error.errors.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
            if not error.errors:
                form.add_error(None, error.message)
        except Conflict as error:
            # Paid nothing, refunded already or asked already: the page shows where it stands.
            messages.error(request, error.message)
            return redirect(detail.order)
        else:
            messages.success(
                request,
                _(
                    "We have received your refund request. We will look at it and write to "
                    "you at %(email)s."
                )
                % {"email": detail.order.email},
            )
            return redirect(detail.order)
    return _order_page(request, detail, refund_form=form, status=400)


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
