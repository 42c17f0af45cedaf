"""Webhooks are stored once by event id and applied once, however often they arrive."""

from decimal import Decimal

import pytest
from django.core import mail

from mallkit.orders import services as orders
from mallkit.orders.models import Order, OrderEvent
from mallkit.payments import services
from mallkit.payments.gateways.base import InvalidWebhook
from mallkit.payments.models import Payment, PaymentTransaction, WebhookEvent
from tests.concurrency import run_concurrently

from .helpers import deliver, event_body, place_order, signed_headers

pytestmark = pytest.mark.django_db


def received_emails():
    return [m for m in mail.outbox if m.subject.startswith("Payment received")]


def test_a_paid_event_marks_the_order_paid_and_mails_the_shopper(
    django_capture_on_commit_callbacks,
):
    order, payment = place_order(price="124.00")
    assert payment.amount == Decimal("129.00")

    with django_capture_on_commit_callbacks(execute=True):
        outcome = deliver(event_body(payment, event_id="evt_1", charge="ch_sbx_1"))

    assert (outcome.status, outcome.event_id) == ("processed", "evt_1")
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.payment_status) == ("confirmed", "paid")
    assert (order.amount_paid, order.expires_at) == (Decimal("129.00"), None)
    assert (payment.status, payment.applied_to_order) == ("succeeded", True)
    capture = payment.transactions.get(kind=PaymentTransaction.Kind.CAPTURE)
    assert (capture.amount, capture.provider_reference) == (Decimal("129.00"), "ch_sbx_1")
    stored = WebhookEvent.objects.get()
    assert (stored.gateway, stored.event_id, stored.type) == (
        "sandbox",
        "evt_1",
        "payment.succeeded",
    )
    assert stored.outcome == "Payment captured; order marked paid."
    assert [m.to for m in received_emails()] == [["ada@example.com"]]


def test_five_replays_in_a_row_capture_once(django_capture_on_commit_callbacks):
    order, payment = place_order()
    body = event_body(payment, event_id="evt_same")

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [deliver(body) for _ in range(5)]

    assert [o.status for o in outcomes] == ["processed"] + ["duplicate"] * 4
    assert outcomes[1].outcome == "Payment captured; order marked paid."
    assert WebhookEvent.objects.count() == 1
    assert payment.transactions.filter(kind="capture").count() == 1
    assert order.events.filter(type=OrderEvent.Type.PAID).count() == 1
    order.refresh_from_db()
    assert order.amount_paid == Decimal("129.00")
    assert len(received_emails()) == 1


def test_the_same_payment_reported_by_two_events_is_still_captured_once(
    django_capture_on_commit_callbacks,
):
    order, payment = place_order()
    with django_capture_on_commit_callbacks(execute=True):
        first = deliver(event_body(payment, event_id="evt_a"))
        second = deliver(event_body(payment, event_id="evt_b"))
    assert (first.outcome, second.outcome) == (
        "Payment captured; order marked paid.",
        "Payment was already recorded.",
    )
    assert payment.transactions.filter(kind="capture").count() == 1
    assert len(received_emails()) == 1


@pytest.mark.django_db(transaction=True)
def test_five_copies_at_once_capture_once():
    order, payment = place_order()
    body = event_body(payment, event_id="evt_race")

    outcomes = run_concurrently(lambda: deliver(body), [()] * 5)

    assert [error for _, error in outcomes if error] == []
    statuses = sorted(result.status for result, _ in outcomes)
    assert statuses == ["duplicate"] * 4 + ["processed"]
    assert WebhookEvent.objects.count() == 1
    assert PaymentTransaction.objects.filter(payment=payment, kind="capture").count() == 1
    assert OrderEvent.objects.filter(order=order, type="paid").count() == 1
    order.refresh_from_db()
    assert (order.payment_status, order.amount_paid) == ("paid", Decimal("129.00"))
    assert len(received_emails()) == 1
    assert OrderEvent.objects.filter(order=order, type="email_sent").count() == 1


@pytest.mark.django_db(transaction=True)
def test_five_different_events_for_one_payment_at_once_capture_once():
    order, payment = place_order()
    bodies = [(event_body(payment, event_id=f"evt_{n}"),) for n in range(5)]

    outcomes = run_concurrently(deliver, bodies)

    assert [error for _, error in outcomes if error] == []
    assert (
        sorted(r.outcome for r, _ in outcomes)
        == ["Payment captured; order marked paid."] + ["Payment was already recorded."] * 4
    )
    assert PaymentTransaction.objects.filter(payment=payment, kind="capture").count() == 1
    assert OrderEvent.objects.filter(order=order, type="paid").count() == 1
    assert len(received_emails()) == 1


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("128.99", "USD"), ("1290.00", "USD"), ("129.00", "EUR")],
    ids=["less", "more", "other-currency"],
)
def test_a_payment_that_does_not_match_is_flagged_and_not_paid(
    amount, currency, django_capture_on_commit_callbacks
):
    order, payment = place_order()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = deliver(event_body(payment, amount=amount, currency=currency))

    assert outcome.outcome == "Amount or currency did not match the order; flagged for staff."
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_paid) == (
        "pending",
        "unpaid",
        Decimal("0.00"),
    )
    assert order.is_flagged
    assert f"reported {amount} {currency}, expected 129.00 USD" in order.flag_reason
    assert payment.status == "pending"
    mismatch = payment.transactions.get(kind=PaymentTransaction.Kind.MISMATCH)
    assert (mismatch.amount, mismatch.currency) == (Decimal(amount), currency)
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_MISMATCH).count() == 1
    assert received_emails() == []


def test_a_payment_for_an_expired_order_is_kept_and_flagged_not_paid(
    django_capture_on_commit_callbacks,
):
    order, payment = place_order()
    assert orders.expire_unpaid_orders(now=order.expires_at) == 1

    with django_capture_on_commit_callbacks(execute=True):
        outcome = deliver(event_body(payment))

    assert outcome.outcome == (
        "Payment captured for an order that cannot take it; flagged for staff."
    )
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_paid) == (
        "expired",
        "unpaid",
        Decimal("0.00"),
    )
    assert order.is_flagged and "arrived for a expired order" in order.flag_reason
    assert (payment.status, payment.applied_to_order) == ("succeeded", False)
    assert received_emails() == []


def test_a_failed_payment_keeps_the_order_open_and_mails_the_shopper(
    django_capture_on_commit_callbacks,
):
    order, payment = place_order()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = deliver(
            event_body(payment, type="payment.failed", message="The card was declined.")
        )

    assert outcome.outcome == "Payment failure recorded."
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.payment_status) == ("pending", "unpaid")
    assert payment.status == "failed"
    failure = payment.transactions.get(kind="failure")
    assert failure.message == "The card was declined."
    assert order.events.filter(type="payment_failed", visible_to_customer=True).count() == 1
    assert [m.subject for m in mail.outbox] == [
        f"Payment for order {order.number} did not go through"
    ]


def test_a_failure_reported_after_success_changes_nothing_for_the_shopper(
    django_capture_on_commit_callbacks,
):
    order, payment = place_order()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(event_body(payment))
        deliver(event_body(payment, type="payment.failed"))

    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert payment.transactions.filter(kind="failure").count() == 1  # kept as a record
    assert not order.events.filter(type="payment_failed").exists()
    assert [m.subject.split(" for ")[0] for m in mail.outbox] == ["Payment received"]


def test_an_event_for_an_unknown_payment_is_stored_and_ignored():
    outcome = deliver(
        b'{"id":"evt_x","type":"payment.succeeded",'
        b'"data":{"reference":"pay_nope","amount":"1.00","currency":"USD"}}'
    )
    assert (outcome.status, outcome.outcome) == ("ignored", "unknown payment")
    assert WebhookEvent.objects.get().outcome == "unknown payment"


def test_an_event_for_another_gateways_payment_is_not_applied():
    order, payment = place_order(payment_method="bank_transfer")
    outcome = deliver(event_body(payment))
    assert outcome.outcome == "unknown payment"
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_a_refused_change_is_stored_with_its_reason():
    order, payment = place_order()
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.CANCELLED)
    outcome = deliver(event_body(payment, event_id="evt_c"))
    assert outcome.status == "ignored"
    assert outcome.outcome.startswith("Not applied: Payment pay_")
    assert WebhookEvent.objects.get(event_id="evt_c").outcome == outcome.outcome
    assert not payment.transactions.filter(kind="capture").exists()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body, headers: (body, {}), id="missing-header"),
        pytest.param(
            lambda body, headers: (body, {"Mallkit-Signature": "garbage"}), id="malformed"
        ),
        pytest.param(
            lambda body, headers: (body, signed_headers(body, secret="wrong")), id="forged"
        ),
        pytest.param(
            lambda body, headers: (body.replace(b"129.00", b"129.01"), headers),
            id="one-byte-changed",
        ),
    ],
)
def test_invalid_webhooks_raise_and_write_nothing(tamper):
    order, payment = place_order()
    body = event_body(payment)
    body, headers = tamper(body, signed_headers(body))

    with pytest.raises(InvalidWebhook):
        services.handle_webhook(gateway_code="sandbox", headers=headers, body=body)

    assert WebhookEvent.objects.count() == 0
    assert not payment.transactions.exclude(kind="start").exists()
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
