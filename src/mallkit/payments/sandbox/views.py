"""The sandbox provider's hosted pages: the card form, the extra confirmation step, notices.

They stand apart from the shop's pages (own templates and stylesheet) because they play an outside
provider's site; they exist only while the sandbox gateway is enabled.
"""

from functools import wraps

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mallkit.core.errors import NotFound
from mallkit.core.money import format_amount
from mallkit.payments import gateways
from mallkit.payments.gateways.sandbox import local_path

from . import services
from .forms import CardForm
from .models import SandboxCharge

TEST_CARDS = [
    ("4242 4242 4242 4242", "succeed"),
    ("4000 0000 0000 0002", "decline"),
    ("4000 0000 0000 3220", "confirm"),
]


def sandbox_page(view):
    """Serve the page only while the sandbox gateway is enabled, never from a cache."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if services.GATEWAY_CODE not in gateways.enabled():
            raise Http404("The sandbox is not enabled.")
        return view(request, *args, **kwargs)

    return never_cache(require_http_methods(["GET", "POST"])(wrapper))


def safe_return_address(value: str) -> str | None:
    """A same-site path to send the shopper back to, "" when none is given, None when refused."""
    if not value:
        return ""
    path = local_path(value)
    if path != value or not url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        return None
    return path


def notice(request, *, title: str, message: str, status: int, charge=None):
    context = {"title": title, "message": message, "charge": charge, **_summary(charge)}
    return render(request, "sandbox/notice.html", context, status=status)


def _summary(charge: SandboxCharge | None) -> dict:
    if charge is None:
        return {"merchant": settings.MALLKIT_SHOP_NAME}
    return {
        "merchant": settings.MALLKIT_SHOP_NAME,
        "amount": format_amount(charge.amount, charge.currency),
        "currency": charge.currency,
        "back_url": charge.cancel_url or charge.return_url or "/",
    }


def _paid(request, charge: SandboxCharge, *, status: int = 200):
    return render(
        request,
        "sandbox/paid.html",
        {"charge": charge, "continue_url": charge.return_url or "/", **_summary(charge)},
        status=status,
    )


def _closed(request):
    return notice(
        request,
        title=_("This payment is closed"),
        message=_("This payment can no longer be made. Return to the shop to check your order."),
        status=410,
    )


def _form_page(
    request, charge: SandboxCharge, form: CardForm, *, status: int = 200, error: str = ""
):
    context = {
        "charge": charge,
        "form": form,
        "error": error,
        "test_cards": TEST_CARDS,
        **_summary(charge),
    }
    return render(request, "sandbox/pay.html", context, status=status)


def _back_to_shop(charge: SandboxCharge):
    if charge.return_url and url_has_allowed_host_and_scheme(charge.return_url, allowed_hosts=None):
        return redirect(charge.return_url)
    return redirect("sandbox:pay", reference=charge.reference)


@sandbox_page
def pay(request, reference):
    """The hosted payment page: the amount, a card form and the test cards."""
    addresses = {}
    if request.method == "GET":
        for name in ("return_url", "cancel_url"):
            addresses[name] = safe_return_address(request.GET.get(name, ""))
            if addresses[name] is None:
                return notice(
                    request,
                    title=_("This payment link is not valid"),
                    message=_("The address to return to must be a page of the shop."),
                    status=400,
                )
    try:
        charge = services.open_charge(reference=reference, **addresses)
    except NotFound:
        raise Http404("There is no such payment.") from None
    except services.PaymentClosed:
        return _closed(request)
    if charge.status == SandboxCharge.Status.SUCCEEDED:
        return _paid(request, charge, status=200 if request.method == "GET" else 409)
    if request.method == "GET":
        return _form_page(request, charge, CardForm())

    form = CardForm(request.POST)
    if not form.is_valid():
        return _form_page(request, charge, form, status=400)
    try:
        outcome = services.pay(charge=charge, card_number=form.cleaned_data["number"])
    except services.AlreadyPaid:
        charge.refresh_from_db()
        return _paid(request, charge, status=409)
    if outcome == services.SUCCEED:
        charge.refresh_from_db()
        return _back_to_shop(charge)
    if outcome == services.CONFIRM:
        return redirect("sandbox:confirm", reference=charge.reference)
    error = _("Your card was declined. Try another card.")
    return _form_page(request, charge, CardForm(), status=402, error=error)


@sandbox_page
def confirm(request, reference):
    """The extra step some cards need: the cardholder approves or denies the payment."""
    charge = get_object_or_404(SandboxCharge, reference=reference)
    if charge.status == SandboxCharge.Status.SUCCEEDED:
        return _paid(request, charge, status=200 if request.method == "GET" else 409)
    if charge.status != SandboxCharge.Status.REQUIRES_CONFIRMATION:
        return redirect(reverse("sandbox:pay", kwargs={"reference": charge.reference}))
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision not in {"approve", "deny"}:
            return notice(
                request,
                title=_("Choose approve or deny"),
                message=_("Go back and choose whether to approve the payment."),
                status=400,
                charge=charge,
            )
        try:
            charge = services.confirm(charge=charge, approve=decision == "approve")
        except services.AlreadyPaid:
            charge.refresh_from_db()
            return _paid(request, charge, status=409)
        except services.SandboxRefusal:
            return redirect(reverse("sandbox:pay", kwargs={"reference": charge.reference}))
        if decision == "approve":
            return _back_to_shop(charge)
        error = _("The payment was not confirmed. Try again or use another card.")
        return _form_page(request, charge, CardForm(), status=402, error=error)
    return render(
        request,
        "sandbox/confirm.html",
        {"charge": charge, "card_last4": charge.card_last4, **_summary(charge)},
    )
