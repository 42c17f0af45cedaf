"""Checkout pages: address, delivery, payment, review, place, and the confirmation.

The shopper's choices are kept in the session, never in hidden fields, and every amount shown
comes from checkout.services.quote: nothing the browser sends is trusted as a price. Each step is
a plain form that posts and redirects, so buying works without JavaScript; htmx only refreshes
the confirmation's payment status in place while the payment is awaited.

A review page carries a one-time token, also kept in the session, which becomes the order's
idempotency key: a double click or a resent form places one order and shows it again.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mallkit.accounts import selectors as accounts
from mallkit.accounts import services as account_services
from mallkit.cart import selectors as carts
from mallkit.cart.services import cart_enabled
from mallkit.checkout import selectors as checkout_selectors
from mallkit.checkout import services as checkout
from mallkit.checkout.flow import confirmation_path, place_and_pay
from mallkit.core.errors import DomainError, NotFound, ValidationFailed
from mallkit.inventory.services import InsufficientStock
from mallkit.orders import selectors as orders
from mallkit.payments import gateways
from mallkit.promotions.services import VoucherNotValid, VoucherUsedUp

from .checkout_forms import AddressStepForm, ChoiceStepForm, PlaceOrderForm, VoucherForm
from .checkout_session import (
    forget_state,
    issue_token,
    load_state,
    missing_step,
    placed_url,
    remember_placed,
    save_state,
)
from .presentation import format_money

SHIPPING_ERRORS = {"invalid_shipping_method", "shipping_not_available"}
CART_ERRORS = {"empty_cart", "not_sold", "invalid_quantity"}


def checkout_page(view):
    """A showcase shop takes no orders: its checkout answers 404. Pages are never cached."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not cart_enabled():
            raise Http404("This shop takes no orders.")
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


# Helpers ---------------------------------------------------------------------------------------


def member_of(request):
    return request.user if request.user.is_authenticated else None


def email_of(request, state: dict) -> str:
    member = member_of(request)
    return member.email if member is not None else state.get("email", "")


def shopper_cart(request):
    return carts.current_cart(user=request.user, session=request.session)


def empty_cart_redirect(request):
    messages.info(request, _("Your cart is empty. Add something to it first."))
    return redirect("cart:detail")


def back_to_step(request, state: dict, error: DomainError):
    """Send the shopper to the step where a refusal of the checkout services can be fixed."""
    messages.error(request, error.message)
    if error.code in CART_ERRORS:
        return redirect("cart:detail")
    if error.code in SHIPPING_ERRORS:
        state.pop("shipping_method", None)
        save_state(request.session, state)
        return redirect("checkout:shipping")
    if error.code == "unknown_payment_method":
        state.pop("payment_method", None)
        save_state(request.session, state)
        return redirect("checkout:payment")
    if isinstance(error, VoucherNotValid | VoucherUsedUp):
        state.pop("voucher_code", None)
        save_state(request.session, state)
        return redirect("checkout:review")
    if set(error.errors) & {*checkout.ADDRESS_FIELDS, "email"}:
        return redirect("checkout:start")
    return redirect("checkout:review")


def add_errors(form, error: DomainError) -> None:
    """Show a service's refusal on the form, by field where it names one."""
    named = {name: texts for name, texts in error.errors.items() if name in form.fields}
    for name, texts in named.items():
        for text in texts:
            form.add_error(name, text)
    if not named:
        form.add_error(None, error.message)


def steps_context(current: str) -> dict:
    """The step indicator: steps before the current one link back, later ones do not."""
    names = [
        ("start", _("Address")),
        ("shipping", _("Delivery")),
        ("payment", _("Payment")),
        ("review", _("Review")),
    ]
    position = [name for name, _label in names].index(current)
    steps = []
    for index, (name, label) in enumerate(names):
        state = "done" if index < position else "current" if index == position else "todo"
        steps.append({"name": name, "label": label, "number": index + 1, "state": state})
    return {"steps": steps, "current_step": current, "shop_email": settings.MALLKIT_SHOP_EMAIL}


# Steps -------------------------------------------------------------------------------------------


def _initial_address(state: dict, addresses: list) -> dict:
    initial = dict(state.get("address") or {})
    initial["email"] = state.get("email", "")
    if addresses:
        chosen = state.get("address_id")
        if chosen in {address.pk for address in addresses}:
            initial["address_choice"] = str(chosen)
        elif state.get("address"):
            initial["address_choice"] = "new"
        else:
            initial["address_choice"] = str(addresses[0].pk)
    else:
        # A member's first address is worth keeping; they can untick it.
        initial["save_address"] = True
    return initial


def _chosen_address(form: AddressStepForm, member, *, save: bool) -> tuple[dict, int | None]:
    """The address snapshot for the order and the address book entry it came from, if any.

    A new address goes into the member's book when they ask and `save` allows it."""
    if form.uses_book:
        book = accounts.address_for_user(user=member, address_id=form.book_address_id())
        try:
            return checkout.clean_address(
                {name: getattr(book, name) for name in checkout.ADDRESS_FIELDS}
            ), book.pk
        except ValidationFailed as error:
            missing = ", ".join(sorted(error.errors))
            raise ValidationFailed(
                _(
                    "This address cannot be used as it is (check: %(fields)s). Edit it in your "
                    "address book or enter a new address."
                )
                % {"fields": missing}
            ) from None
    address = checkout.clean_address(form.address_fields())
    if save and member is not None and form.cleaned_data.get("save_address"):
        saved = account_services.create_address(user=member, **address)
        return address, saved.pk
    return address, None


@checkout_page
def start(request):
    """Step 1: the e-mail address (guests) and where the order goes."""
    summary = carts.cart_summary(cart=shopper_cart(request))
    if summary.is_empty:
        return empty_cart_redirect(request)
    state = load_state(request.session)
    member = member_of(request)
    addresses = list(accounts.addresses_for_user(user=member)) if member else []
    form = AddressStepForm(
        request.POST or None,
        member=member,
        addresses=addresses,
        initial=_initial_address(state, addresses),
    )
    # The address is checked even when the e-mail is wrong, so every error shows at once.
    if request.method == "POST" and (form.is_valid() or "address_choice" not in form.errors):
        try:
            address, address_id = _chosen_address(form, member, save=not form.errors)
        except (ValidationFailed, NotFound) as error:
            add_errors(form, error)
        else:
            if not form.errors:
                state.update(
                    email=member.email if member else form.cleaned_data["email"],
                    address=address,
                    address_id=address_id,
                )
                save_state(request.session, state)
                return redirect("checkout:shipping")
    return render(
        request,
        "checkout/address.html",
        {"form": form, "member": member, "summary": summary, **steps_context("start")},
        status=400 if form.errors else 200,
    )


@checkout_page
def shipping(request):
    """Step 2: a delivery method among those that serve the address, with its price."""
    summary = carts.cart_summary(cart=shopper_cart(request))
    if summary.is_empty:
        return empty_cart_redirect(request)
    state = load_state(request.session)
    if step := missing_step(state, before="checkout:shipping"):
        return redirect(step)
    address = state["address"]
    methods = checkout_selectors.shipping_methods(
        country=address.get("country", ""), region=address.get("region", "")
    )
    form = ChoiceStepForm(
        request.POST or None,
        choices=[(method.code, method.name) for method in methods],
        label=_("Delivery method"),
        initial={"method": state.get("shipping_method") or (methods[0].code if methods else "")},
    )
    if request.method == "POST" and form.is_valid():
        state["shipping_method"] = form.cleaned_data["method"]
        save_state(request.session, state)
        return redirect("checkout:payment")
    return render(
        request,
        "checkout/shipping.html",
        {
            "form": form,
            "methods": methods,
            "address": address,
            "summary": summary,
            **steps_context("shipping"),
        },
        status=400 if form.errors else 200,
    )


@checkout_page
def payment(request):
    """Step 3: how to pay, among the shop's enabled payment methods."""
    summary = carts.cart_summary(cart=shopper_cart(request))
    if summary.is_empty:
        return empty_cart_redirect(request)
    state = load_state(request.session)
    if step := missing_step(state, before="checkout:payment"):
        return redirect(step)
    methods = list(gateways.enabled().values())
    form = ChoiceStepForm(
        request.POST or None,
        choices=[(method.code, method.name) for method in methods],
        label=_("Payment method"),
        initial={"method": state.get("payment_method") or (methods[0].code if methods else "")},
    )
    if request.method == "POST" and form.is_valid():
        state["payment_method"] = form.cleaned_data["method"]
        save_state(request.session, state)
        return redirect("checkout:review")
    return render(
        request,
        "checkout/payment.html",
        {"form": form, "methods": methods, "summary": summary, **steps_context("payment")},
        status=400 if form.errors else 200,
    )


def _quote(request, state: dict, items: dict, *, voucher_code: str):
    return checkout.quote(
        items=items,
        shipping_method_code=state["shipping_method"],
        voucher_code=voucher_code,
        address=state["address"],
        customer=member_of(request),
        email=email_of(request, state),
    )


@checkout_page
def review(request):
    """Step 4: every line and total as the order will have them, a voucher, and the button."""
    items = carts.cart_items(cart=shopper_cart(request))
    if not items:
        return empty_cart_redirect(request)
    state = load_state(request.session)
    if step := missing_step(state, before="checkout:review"):
        return redirect(step)
    try:
        offer = _quote(request, state, items, voucher_code=state.get("voucher_code", ""))
    except DomainError as error:
        return back_to_step(request, state, error)
    payment_method = gateways.enabled().get(state["payment_method"])
    if payment_method is None:
        return back_to_step(
            request,
            state,
            NotFound(_("Choose a payment method."), code="unknown_payment_method"),
        )
    lines = [(offer.snapshots[line.key], line) for line in offer.totals.lines]
    return render(
        request,
        "checkout/review.html",
        {
            "offer": offer,
            "totals": offer.totals,
            "lines": lines,
            "email": email_of(request, state),
            "address": state["address"],
            "payment_method": payment_method,
            "voucher_form": VoucherForm(initial={"code": state.get("voucher_code", "")}),
            "place_form": PlaceOrderForm(initial={"token": issue_token(request.session, state)}),
            **steps_context("review"),
        },
    )


@checkout_page
@require_POST
def voucher(request):
    """Apply or remove a voucher code, then show the review again."""
    form = VoucherForm(request.POST)
    state = load_state(request.session)
    if not form.is_valid():
        return redirect("checkout:review")
    if form.cleaned_data["action"] == "remove":
        if state.pop("voucher_code", None):
            messages.success(request, _("The voucher was removed."))
        save_state(request.session, state)
        return redirect("checkout:review")
    code = form.cleaned_data["code"].strip()
    items = carts.cart_items(cart=shopper_cart(request))
    if not items:
        return empty_cart_redirect(request)
    if step := missing_step(state, before="checkout:review"):
        return redirect(step)
    if not code:
        messages.error(request, _("Enter a voucher code."))
        return redirect("checkout:review")
    try:
        offer = _quote(request, state, items, voucher_code=code)
    except (VoucherNotValid, VoucherUsedUp) as error:
        messages.error(request, error.message)
        return redirect("checkout:review")
    except DomainError as error:
        return back_to_step(request, state, error)
    state["voucher_code"] = offer.voucher.code
    save_state(request.session, state)
    messages.success(
        request,
        _("Voucher %(code)s applied: you save %(amount)s.")
        % {"code": offer.voucher.code, "amount": format_money(offer.totals.discount)},
    )
    return redirect("checkout:review")


def _short_lines(cart, error: InsufficientStock) -> list[dict]:
    """Each short line named as the shopper knows it, with how much is missing."""
    by_variant = {line.variant.pk: line for line in carts.cart_summary(cart=cart).lines}
    short = []
    for shortage in error.shortages:
        line = by_variant.get(shortage.variant_id)
        short.append(
            {
                "name": line.product.name if line else _("An item"),
                "variant": line.variant.label if line else "",
                "sku": line.sku if line else "",
                "requested": shortage.requested,
                "available": max(shortage.available, 0),
                "missing": shortage.missing,
            }
        )
    return short


@checkout_page
@require_POST
def place(request):
    """Place the order once per review token, then go to the payment page or the confirmation."""
    form = PlaceOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please check your order and place it again."))
        return redirect("checkout:review")
    token = form.cleaned_data["token"]
    already = placed_url(request.session, token)
    if already:
        return redirect(already)
    state = load_state(request.session)
    if token not in state.get("tokens", []):
        messages.error(request, _("This page had expired. Please check your order and place it."))
        return redirect("checkout:review")
    if step := missing_step(state, before="checkout:review"):
        return redirect(step)
    cart = shopper_cart(request)
    try:
        placed = place_and_pay(
            items=carts.cart_items(cart=cart),
            cart=cart,
            email=email_of(request, state),
            shipping_address=state["address"],
            shipping_method_code=state["shipping_method"],
            payment_method=state["payment_method"],
            customer=member_of(request),
            voucher_code=state.get("voucher_code", ""),
            idempotency_key=token,
            note=form.cleaned_data["note"],
            language=get_language() or "en",
            return_url=lambda order: request.build_absolute_uri(
                confirmation_path(order, signed=order.customer_id is None)
            ),
        )
    except InsufficientStock as error:
        return render(
            request,
            "checkout/short_stock.html",
            {"short_lines": _short_lines(cart, error), **steps_context("review")},
            status=409,
        )
    except DomainError as error:
        return back_to_step(request, state, error)
    # A member's page opens through their session; only a guest needs the signed link.
    url = confirmation_path(placed.order, signed=placed.order.customer_id is None)
    remember_placed(request.session, token, url)
    forget_state(request.session)
    if placed.payment is not None and placed.payment.redirect_url:
        return redirect(placed.payment.redirect_url)
    return redirect(url)


@checkout_page
def complete(request, number):
    """The confirmation: the order, how to pay it, and whether the payment has arrived."""
    token = request.GET.get("token", "")
    try:
        detail = orders.order_for_shopper(user=request.user, number=number, token=token)
    except NotFound:
        raise Http404("No such order.") from None
    return render(
        request,
        "checkout/complete.html",
        {
            "detail": detail,
            "order": detail.order,
            "token": token,
            "shop_email": settings.MALLKIT_SHOP_EMAIL,
        },
    )
