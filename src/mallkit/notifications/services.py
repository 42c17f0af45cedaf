"""E-mails to shoppers about their orders, sent through the task queue after the commit.

Each function may be called inside a transaction: the e-mail is queued only once it commits, so
a rolled-back change never mails anyone. Outside a transaction it is queued at once.
"""

from django.db import transaction

from . import tasks


def send_order_confirmation(*, order) -> None:
    """Queue the "thank you for your order" e-mail (after place_order and start_payment)."""
    order_id = order.pk
    transaction.on_commit(lambda: tasks.send_order_confirmation_email.enqueue(order_id))


def send_payment_received(*, order) -> None:
    """Queue the "payment received" e-mail."""
    order_id = order.pk
    transaction.on_commit(lambda: tasks.send_payment_received_email.enqueue(order_id))


def send_payment_failed(*, order) -> None:
    """Queue the "payment failed, you may try again" e-mail."""
    order_id = order.pk
    transaction.on_commit(lambda: tasks.send_payment_failed_email.enqueue(order_id))


def send_order_shipped(*, order, fulfilment) -> None:
    """Queue the "your parcel is on its way" e-mail, with the carrier and tracking link."""
    order_id, fulfilment_id = order.pk, fulfilment.pk
    transaction.on_commit(lambda: tasks.send_order_shipped_email.enqueue(order_id, fulfilment_id))
