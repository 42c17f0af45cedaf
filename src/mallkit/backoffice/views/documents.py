"""Printed paperwork of orders: pick lists and packing slips for one or many orders (printable
HTML, or PDF with ?format=pdf), invoices and credit notes as PDF."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mallkit.orders import pdf
from mallkit.orders import staff_selectors as selectors

from ..access import staff_required
from .orders import VIEW

BATCH = 200  # orders printed at once at most


def _orders(request) -> list:
    """The orders ticked (?orders=…), or the first of a queue (?queue=to_pack by default)."""
    numbers = [n for n in request.GET.getlist("orders") if n][:BATCH]
    if not numbers:
        queue = request.GET.get("queue", "to_pack")
        queue = queue if queue in selectors.QUEUE_KEYS else "to_pack"
        numbers = list(
            selectors.search_orders(queue=queue).values_list("number", flat=True)[:BATCH]
        )
    return selectors.orders_by_number(numbers=numbers)


def _pdf(content: bytes, filename: str, *, download=False) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


@staff_required(VIEW)
def pick_list(request):
    orders = _orders(request)
    rows = selectors.pick_list(orders)
    if request.GET.get("format") == "pdf":
        return _pdf(pdf.render_pick_list(rows, orders), f"pick-list-{_stamp()}.pdf")
    return render(
        request,
        "backoffice/orders/pick_list.html",
        {"orders": orders, "rows": rows, "units": sum(row.quantity for row in rows)},
    )


@staff_required(VIEW)
def packing_slips(request):
    orders = _orders(request)
    if request.GET.get("format") == "pdf":
        return _pdf(pdf.render_packing_slips(orders), f"packing-slips-{_stamp()}.pdf")
    return render(request, "backoffice/orders/packing_slips.html", {"orders": orders})


@staff_required(VIEW)
def invoice_pdf(request, number):
    order = selectors.staff_order(number=number)
    invoice = getattr(order, "invoice", None) if order is not None else None
    if invoice is None:
        raise Http404("This order has no invoice.")
    return _pdf(pdf.render_invoice(invoice), f"{invoice.label}.pdf")


@staff_required(VIEW)
def credit_note_pdf(request, number, credit_number):
    order = selectors.staff_order(number=number)
    note = None
    if order is not None:
        note = next((n for n in order.credit_notes.all() if n.number == credit_number), None)
    if note is None:
        raise Http404("No such credit note.")
    return _pdf(pdf.render_credit_note(note), f"{note.label}.pdf")
