"""Issuing invoices and credit notes, each numbered from its own gapless sequence."""

from django.db import IntegrityError, transaction
from django.db.models import F

from mallkit.core.errors import Conflict

from .. import services as orders
from ..models import OrderEvent
from .models import CreditNote, DocumentCounter, Invoice

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"


def next_number(*, sequence: str) -> int:
    """Take the next number of a sequence; call inside the transaction that stores it.

    The UPDATE locks the counter row until the transaction ends, so racing transactions take
    numbers one after the other, and a rollback gives the number back: no gaps, no duplicates.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Numbers are taken inside the transaction that uses them.")
    for _ in range(2):
        if DocumentCounter.objects.filter(name=sequence).update(last_number=F("last_number") + 1):
            return DocumentCounter.objects.values_list("last_number", flat=True).get(name=sequence)
        try:
            # The first number of a sequence: whoever inserts the row first, the other's
            # INSERT fails (after waiting for it) and it takes the next number above.
            with transaction.atomic():
                DocumentCounter.objects.create(name=sequence)
        except IntegrityError:
            pass
    raise Conflict("Could not number the document; please try again.")  # pragma: no cover


def issue_invoice(*, order, actor=None) -> Invoice:
    """The order's invoice, issued now with the next number if it has none yet."""
    existing = Invoice.objects.filter(order=order).first()
    if existing is not None:
        return existing
    invoice = Invoice.objects.create(
        order=order,
        number=next_number(sequence=INVOICE),
        currency=order.currency,
        total=order.total,
        tax=order.tax,
    )
    orders.record_event(
        order=order,
        type=OrderEvent.Type.INVOICED,
        message=f"Invoice {invoice.label} issued.",
        actor=actor,
        data={"invoice": invoice.number},
    )
    return invoice


def issue_credit_note(*, order, amount, reason: str = "", event=None, actor=None) -> CreditNote:
    """A credit note for a refund of `amount`, against the order's invoice when it has one."""
    note = CreditNote.objects.create(
        order=order,
        invoice=Invoice.objects.filter(order=order).first(),
        event=event,
        number=next_number(sequence=CREDIT_NOTE),
        currency=order.currency,
        amount=amount,
        reason=(reason or "")[:500],
    )
    orders.record_event(
        order=order,
        type=OrderEvent.Type.CREDIT_NOTE,
        message=f"Credit note {note.label} issued for {amount} {order.currency}.",
        actor=actor,
        data={"credit_note": note.number},
    )
    return note
