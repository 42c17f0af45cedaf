"""The staff actions of the order page, one POST view each.

Who may post is the action's permission in orders.transitions; whether the order's state allows
it is checked by the service, which refuses with a clear message and changes nothing. A refusal
shows the order page again with that message and the error's HTTP status (409 for the state,
400 for input).
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mallkit.core.errors import DomainError
from mallkit.orders import fulfilment, processing, returns, services, transitions

from ..access import staff_required
from ..forms.orders import (
    NoteForm,
    ReasonForm,
    RefundForm,
    RefundRequestForm,
    RestockForm,
    ShipForm,
)
from .orders import VIEW, get_order, order_page


def _action(action: str):
    """Make a POST view of `handle(request, order) -> (message, bound_forms)` for an action."""

    def decorator(handle):
        @require_POST
        @staff_required(VIEW, post=[transitions.permission(action)])
        def view(request, number):
            order = get_order(number)
            try:
                if action in transitions.TRANSITIONS:
                    # The order's state first: a form's errors do not matter for an order the
                    # action cannot apply to.
                    transitions.check(order, action)
                message, bound = handle(request, order)
            except DomainError as error:
                return order_page(request, get_order(number), error=error, status=error.status)
            if bound:
                return order_page(request, order, forms=bound, status=400)
            messages.success(request, message)
            return redirect(reverse("backoffice:order_detail", args=[number]))

        view.__name__ = view.__qualname__ = handle.__name__
        view.action = action
        return view

    return decorator


def _note(request, prefix):
    form = ReasonForm(request.POST, prefix=prefix)
    return form.cleaned_data["note"] if form.is_valid() else ""


@_action("confirm_payment")
def confirm_payment(request, order):
    processing.confirm_payment(
        order=order, actor=request.user, note=_note(request, "confirm_payment")
    )
    return _("Payment confirmed; the order is paid and invoiced."), None


@_action("confirm")
def confirm(request, order):
    services.confirm(order=order, actor=request.user, note=_("Accepted to pack before payment."))
    return _("The order is accepted and waits to be packed."), None


@_action("pack")
def pack(request, order):
    fulfilment.pack(order=order, actor=request.user)
    return _("Marked packed; the order waits to ship."), None


@_action("ship")
def ship(request, order):
    form = ShipForm(request.POST, lines=list(order.lines.all()), prefix="ship")
    if not form.is_valid():
        return None, {"ship": form}
    parcel = fulfilment.ship(
        order=order,
        actor=request.user,
        carrier=form.carrier_value(),
        tracking_number=form.cleaned_data["tracking_number"],
        tracking_url=form.cleaned_data["tracking_url"],
        quantities=form.quantities(),
    )
    return _("Shipped with %(carrier)s; the customer is e-mailed the tracking link.") % {
        "carrier": parcel.carrier
    }, None


@_action("deliver")
def deliver(request, order):
    fulfilment.deliver(order=order, actor=request.user)
    return _("Marked delivered; the order is complete."), None


@_action("cancel")
def cancel(request, order):
    order = processing.cancel(order=order, actor=request.user, reason=_note(request, "cancel"))
    if order.is_flagged:
        return _("Cancelled; the stock is back. The payment needs a refund by hand."), None
    return _("Cancelled; the stock is back and any online payment refunded."), None


@_action("refund")
def refund(request, order):
    form = RefundForm(request.POST, order=order, lines=list(order.lines.all()), prefix="refund")
    if not form.is_valid():
        return None, {"refund": form}
    processing.refund(
        order=order,
        actor=request.user,
        amount=form.cleaned_data["amount"],
        reason=form.cleaned_data["note"],
        restock=form.quantities(),
    )
    return _("Refunded %(amount)s %(currency)s.") % {
        "amount": form.cleaned_data["amount"],
        "currency": order.currency,
    }, None


@_action("restock")
def restock(request, order):
    form = RestockForm(request.POST, lines=list(order.lines.all()), prefix="restock")
    if not form.is_valid():
        return None, {"restock": form}
    returns.restock(
        order=order,
        actor=request.user,
        quantities=form.quantities(),
        note=form.cleaned_data["note"],
    )
    return _("The units are back in stock."), None


@_action("note")
def note(request, order):
    form = NoteForm(request.POST)
    if not form.is_valid():
        return None, {"note": form}
    services.add_note(order=order, text=form.cleaned_data["text"], actor=request.user)
    return _("Note added."), None


@_action("clear_flag")
def clear_flag(request, order):
    services.clear_flag(order=order, actor=request.user)
    return _("The flag is cleared."), None


@_action("resend_confirmation")
def resend_confirmation(request, order):
    processing.resend_confirmation(order=order, actor=request.user)
    return _("The order confirmation is sent again to %(email)s.") % {"email": order.email}, None


@_action("request_refund")
def request_refund(request, order):
    form = RefundRequestForm(request.POST, prefix="request_refund")
    if not form.is_valid():
        return None, {"request_refund": form}
    services.request_refund(
        order=order,
        actor=request.user,
        reason=form.cleaned_data["reason"],
        amount=form.cleaned_data["amount"] or None,
    )
    return _("The refund request waits in the “Refund requested” queue."), None


@_action("decline_refund_request")
def decline_refund_request(request, order):
    processing.decline_refund_request(order=order, actor=request.user)
    return _("The refund request is declined."), None
