"""Cart pages. Without JavaScript every form posts and redirects back; with htmx the same views
answer a fragment: the cart, or a short status, plus the header's item count out of band.
"""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mallkit.core.errors import DomainError, NotFound

from . import selectors, services


def cart_pages(view):
    """A showcase shop has no cart: its pages answer 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.cart_enabled():
            raise Http404("This shop takes no orders.")
        return view(request, *args, **kwargs)

    return wrapper


def shopper_cart(request):
    return selectors.current_cart(user=request.user, session=request.session)


def safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def render_cart(request, *, errors=None, status=200):
    summary = selectors.cart_summary(cart=shopper_cart(request))
    template = "cart/_cart.html" if request.htmx else "cart/cart.html"
    return render(
        request, template, {"summary": summary, "line_errors": errors or {}}, status=status
    )


@cart_pages
def detail(request):
    return render_cart(request)


@cart_pages
@require_POST
def add(request):
    back = safe_next(request, reverse("cart:detail"))
    cart = services.get_or_create_cart(user=request.user, session=request.session)
    try:
        line = services.add_to_cart(
            cart=cart, sku=request.POST.get("sku", ""), quantity=request.POST.get("quantity", "1")
        )
    except DomainError as error:
        ok, message = False, error.message
    else:
        ok = True
        message = _("“%(name)s” is in your cart.") % {"name": line.variant.product.name}
    if request.htmx:
        return render(request, "cart/_added.html", {"ok": ok, "message": message})
    if ok:
        messages.success(request, message)
    else:
        messages.error(request, message)
    return redirect(back)


def change_line(request, line_id, change):
    """Apply `change(cart)` to the shopper's cart; a line of another cart is 404."""
    cart = shopper_cart(request)
    if cart is None:
        raise Http404("No cart.")
    errors = {}
    try:
        change(cart)
    except NotFound:
        raise Http404("No such line.") from None
    except DomainError as error:
        errors[line_id] = error.message
        if not request.htmx:
            messages.error(request, error.message)
    if request.htmx:
        return render_cart(request, errors=errors)
    return redirect("cart:detail")


@cart_pages
@require_POST
def line_update(request, line_id):
    quantity = request.POST.get("quantity", "")
    return change_line(
        request,
        line_id,
        lambda cart: services.set_line_quantity(cart=cart, line_id=line_id, quantity=quantity),
    )


@cart_pages
@require_POST
def line_remove(request, line_id):
    return change_line(
        request, line_id, lambda cart: services.remove_line(cart=cart, line_id=line_id)
    )
