"""Orders in the back office: the work queues with search, filters and CSV, and the order page.

The actions on the order page post to views/order_actions.py; documents (pick lists, packing
slips, invoices) are in views/documents.py.
"""

import csv

from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from mallkit.core.money import format_amount
from mallkit.orders import staff_selectors as selectors
from mallkit.orders import transitions
from mallkit.orders.models import Order, RefundRequest

from ..access import can, staff_required
from ..forms.orders import (
    NoteForm,
    OrderFilterForm,
    ReasonForm,
    RefundForm,
    RefundRequestForm,
    RestockForm,
    ShipForm,
)

PER_PAGE = 50
VIEW = "orders.view_order"
# Cells starting with these are formulas to a spreadsheet; a leading quote keeps them text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _queue(request) -> str:
    queue = request.GET.get("queue", "")
    return queue if queue in selectors.QUEUE_KEYS else ""


@staff_required(VIEW)
def order_list(request):
    queue = _queue(request)
    if not queue:
        # Each role lands on its own work; a search without a tab looks through every order.
        if request.GET.get("q"):
            queue = "all"
        else:
            return redirect(
                f"{reverse('backoffice:orders')}?queue={selectors.landing_queue(request.user)}"
            )
    filter_form = OrderFilterForm(request.GET)
    orders = selectors.search_orders(queue=queue, **filter_form.filters())
    page_obj = Paginator(orders, PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.queue_counts()
    return render(
        request,
        "backoffice/orders/list.html",
        {
            "queue": queue,
            "queues": [
                {
                    "key": q.key,
                    "label": q.label,
                    "count": counts.get(q.key, 0),
                    "due": q.oldest_first,
                }
                for q in selectors.QUEUES
            ],
            "filter_form": filter_form,
            "page_obj": page_obj,
            "orders": page_obj.object_list,
            "payment_methods": selectors.payment_method_names(),
            "can_fulfil": can(request.user, "orders.fulfil_order"),
        },
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value):
        return value


@staff_required(VIEW)
def order_export(request):
    """The filtered list as CSV (every page), streamed row by row."""
    queue = _queue(request) or "all"
    filter_form = OrderFilterForm(request.GET)
    orders = selectors.search_orders(queue=queue, **filter_form.filters()).select_related(
        "customer"
    )
    methods = selectors.payment_method_names()
    header = [
        "number",
        "placed",
        "status",
        "payment_status",
        "fulfilment_status",
        "flagged",
        "customer_name",
        "email",
        "phone",
        "items",
        "total",
        "paid",
        "refunded",
        "currency",
        "payment_method",
        "shipping_method",
        "country",
    ]

    def rows():
        yield header
        for order in orders.iterator(chunk_size=500):
            address = order.shipping_address or {}
            yield [
                order.number,
                timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M"),
                order.status,
                order.payment_status,
                order.fulfilment_status,
                "yes" if order.is_flagged else "",
                address.get("full_name") or (order.customer.full_name if order.customer else ""),
                order.email,
                order.phone,
                order.item_count,
                format_amount(order.total, order.currency),
                format_amount(order.amount_paid, order.currency),
                format_amount(order.amount_refunded, order.currency),
                order.currency,
                methods.get(order.payment_method, order.payment_method),
                order.shipping_method_name,
                address.get("country", ""),
            ]

    writer = csv.writer(_Echo())

    def lines():
        # The byte-order mark makes spreadsheet programs read the file as UTF-8 (names in
        # Chinese, for one).
        yield "\ufeff"
        for row in rows():
            yield writer.writerow([_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="orders-{queue}-{stamp}.csv"'
    return response


def _allowed(user, order: Order, action: str) -> bool:
    return transitions.may(user, action) and transitions.allowed(order, action)


def order_page(request, order: Order, *, forms=None, error=None, status=200):
    """The order page; `forms` puts submitted forms (with their errors) back in place, `error`
    (a DomainError) says why an action was refused."""
    user = request.user
    lines = list(order.lines.all())
    page_forms = {
        "note": NoteForm(),
        "confirm_payment": ReasonForm(prefix="confirm_payment"),
        "cancel": ReasonForm(prefix="cancel"),
        "ship": ShipForm(lines=lines, prefix="ship"),
        "refund": RefundForm(order=order, lines=lines, prefix="refund"),
        "restock": RestockForm(lines=lines, prefix="restock"),
        "request_refund": RefundRequestForm(prefix="request_refund"),
        **(forms or {}),
    }
    actions = {action: _allowed(user, order, action) for action in transitions.TRANSITIONS}
    open_requests = [
        request_
        for request_ in order.refund_requests.all()
        if request_.status == RefundRequest.Status.OPEN
    ]
    tasks = {
        "note": transitions.may(user, "note"),
        "clear_flag": order.is_flagged and transitions.may(user, "clear_flag"),
        "resend_confirmation": transitions.may(user, "resend_confirmation"),
        "request_refund": (
            not open_requests
            and order.payment_status in transitions.REFUNDABLE
            and transitions.may(user, "request_refund")
        ),
        "decline_refund_request": bool(open_requests)
        and transitions.may(user, "decline_refund_request"),
    }
    return render(
        request,
        "backoffice/orders/detail.html",
        {
            "order": order,
            "lines": lines,
            "events": list(order.events.all())[::-1],
            "fulfilments": list(order.fulfilments.all()),
            "payments": list(order.payments.all()),
            "credit_notes": list(order.credit_notes.all()),
            "refund_requests": list(order.refund_requests.all()),
            "open_requests": open_requests,
            "invoice": getattr(order, "invoice", None),
            "forms": page_forms,
            "actions": actions,
            "tasks": tasks,
            "any_action": any(actions.values()) or any(tasks.values()),
            "error": error.message if error else "",
            "error_details": [
                message
                for messages in (error.errors if error else {}).values()
                for message in messages
                if message != error.message
            ],
            "can_see_payments": can(user, "payments.view_payment"),
            "can_see_customer": can(user, "accounts.view_user"),
            "payment_method": selectors.payment_method_names().get(
                order.payment_method, order.payment_method
            ),
        },
        status=status,
    )


def get_order(number: str) -> Order:
    order = selectors.staff_order(number=number)
    if order is None:
        raise Http404("No such order.")
    return order


@staff_required(VIEW)
def order_detail(request, number):
    return order_page(request, get_order(number))
