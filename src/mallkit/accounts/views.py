"""Account pages: overview, profile, address book, favourites and order history.

Each view parses the request, calls one service or selector and renders. Another member's
address gives 404 because every lookup goes through the signed-in member.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mallkit.cart.services import cart_enabled
from mallkit.core.errors import DomainError, NotFound, ValidationFailed
from mallkit.orders import selectors as order_selectors

from . import selectors, services
from .forms import AddressForm, ProfileForm

RECENT_ORDERS = 5


def add_errors(form, error: DomainError) -> None:
    """Show a service's refusal on the form, by field where it says which."""
    fields = {name: messages_ for name, messages_ in error.errors.items() if name in form.fields}
    for name, field_messages in fields.items():
        for message in field_messages:
            form.add_error(name, message)
    if not fields:
        form.add_error(None, error.message)


def own_address(user, address_id):
    try:
        return selectors.address_for_user(user=user, address_id=address_id)
    except NotFound:
        raise Http404("No such address.") from None


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
def overview(request):
    return render(
        request,
        "account/overview.html",
        {
            "section": "overview",
            "defaults": selectors.default_addresses(user=request.user),
            "favourites_count": selectors.favourites_count(user=request.user),
            "orders": order_selectors.orders_for_customer(customer=request.user)[:RECENT_ORDERS],
        },
    )


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "phone": user.phone,
            "preferred_language": user.preferred_language,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(user=user, **form.cleaned_data)
        except ValidationFailed as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your profile has been saved."))
            response = redirect("accounts:profile")
            # The shop speaks the member's language from now on, like the language menu does.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                form.cleaned_data["preferred_language"],
                max_age=settings.LANGUAGE_COOKIE_AGE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
            return response
    return render(request, "account/profile.html", {"section": "profile", "form": form})


@login_required
def addresses(request):
    return render(
        request,
        "account/addresses.html",
        {"section": "addresses", "addresses": selectors.addresses_for_user(user=request.user)},
    )


@login_required
def address_add(request):
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_address(
                user=request.user,
                **form.address_fields(),
                is_default_shipping=form.cleaned_data["is_default_shipping"],
                is_default_billing=form.cleaned_data["is_default_billing"],
            )
        except ValidationFailed as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The address has been added."))
            return redirect(safe_next(request, reverse("accounts:addresses")))
    return render(
        request,
        "account/address_form.html",
        {"section": "addresses", "form": form, "next": safe_next(request, "")},
    )


@login_required
def address_edit(request, address_id):
    address = own_address(request.user, address_id)
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        changes = form.address_fields()
        # Ticking a box makes this the default; unticking it leaves the book without one.
        changes["is_default_shipping"] = form.cleaned_data["is_default_shipping"]
        changes["is_default_billing"] = form.cleaned_data["is_default_billing"]
        try:
            services.update_address(user=request.user, address_id=address.pk, changes=changes)
        except ValidationFailed as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The address has been saved."))
            return redirect("accounts:addresses")
    return render(
        request,
        "account/address_form.html",
        {"section": "addresses", "form": form, "address": address},
    )


@login_required
def address_delete(request, address_id):
    address = own_address(request.user, address_id)
    if request.method == "POST":
        services.delete_address(user=request.user, address_id=address.pk)
        messages.success(request, _("The address has been deleted."))
        return redirect("accounts:addresses")
    return render(
        request, "account/address_delete.html", {"section": "addresses", "address": address}
    )


@login_required
@require_POST
def address_default(request, address_id):
    address = own_address(request.user, address_id)
    kind = request.POST.get("kind", "")
    try:
        services.set_default_address(user=request.user, address_id=address.pk, kind=kind)
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your default address has been changed."))
    return redirect("accounts:addresses")


@login_required
def favourites(request):
    items = list(selectors.wishlist_for_user(user=request.user))
    for item in items:
        item.stock_status = selectors.favourite_stock_status(item)
    return render(
        request,
        "account/favourites.html",
        {"section": "favourites", "items": items, "cart_enabled": cart_enabled()},
    )


@require_POST
def favourite_toggle(request):
    back = safe_next(request, reverse("accounts:favourites"))
    if not request.user.is_authenticated:
        if request.htmx:
            # htmx would follow a redirect and swap the sign-in page into the button.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{reverse('account_login')}?next={back}"
            return response
        return redirect_to_login(back)
    sku = request.POST.get("sku", "")
    try:
        favourited = services.toggle_favourite(user=request.user, sku=sku)
    except ValidationFailed as error:
        if request.htmx:
            return HttpResponse(error.message, status=400)
        messages.error(request, error.message)
        return redirect(back)
    if request.htmx:
        return render(
            request,
            "account/_favourite_button.html",
            {"sku": sku, "favourited": favourited, "next": back, "show": True, "signed_in": True},
        )
    messages.success(
        request,
        _("Added to your favourites.") if favourited else _("Removed from your favourites."),
    )
    return redirect(back)


@login_required
def orders(request):
    paginator = Paginator(
        order_selectors.orders_for_customer(customer=request.user), settings.MALLKIT_PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "account/orders.html",
        {"section": "orders", "orders": page.object_list, "page_obj": page},
    )
