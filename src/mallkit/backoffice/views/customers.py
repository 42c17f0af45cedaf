"""Customers in the back office: the list with search, and a customer's page with their orders,
addresses, what they spent and customer service's notes."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mallkit.core.errors import DomainError
from mallkit.core.money import default_currency
from mallkit.orders import services
from mallkit.orders import staff_selectors as selectors

from ..access import can, staff_required
from ..forms.customers import CustomerNoteForm

PER_PAGE = 50
VIEW = "accounts.view_user"
NOTE = "accounts.change_user"


@staff_required(VIEW)
def customer_list(request):
    query = request.GET.get("q", "")[:100]
    page_obj = Paginator(selectors.customers(q=query), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/customers/list.html",
        {
            "page_obj": page_obj,
            "customers": page_obj.object_list,
            "q": query,
            "currency": default_currency(),
        },
    )


def _page(request, pk, *, form=None, status=200):
    detail = selectors.customer_detail(customer_id=pk)
    if detail is None:
        raise Http404("No such customer.")
    return render(
        request,
        "backoffice/customers/detail.html",
        {
            "detail": detail,
            "customer": detail.customer,
            "note_form": form or CustomerNoteForm(),
            "can_note": can(request.user, NOTE),
            "can_see_orders": can(request.user, "orders.view_order"),
            "currency": default_currency(),
        },
        status=status,
    )


@staff_required(VIEW)
def customer_detail(request, pk):
    return _page(request, pk)


@require_POST
@staff_required(VIEW, post=[NOTE])
def customer_note(request, pk):
    detail = selectors.customer_detail(customer_id=pk)
    if detail is None:
        raise Http404("No such customer.")
    form = CustomerNoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_customer_note(
                customer=detail.customer, text=form.cleaned_data["text"], actor=request.user
            )
        except DomainError as error:
            form.add_error("text", error.message)
        else:
            messages.success(request, _("Note added."))
            return redirect(reverse("backoffice:customer_detail", args=[pk]))
    return _page(request, pk, form=form, status=400)
