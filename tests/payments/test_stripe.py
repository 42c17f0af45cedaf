"""The Stripe gateway through the real `stripe` package, against a local fake of its API."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.core import mail

from mallkit.payments import services
from mallkit.payments.gateways.base import InvalidWebhook
from mallkit.payments.gateways.stripe import from_minor, to_minor
from mallkit.payments.models import Payment, WebhookEvent

from .fake_stripe import FakeStripe
from .helpers import place_order

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe().start()
    settings.MALLKIT_PAYMENT_GATEWAYS = [
        *settings.MALLKIT_PAYMENT_GATEWAYS,
        "mallkit.payments.gateways.stripe.StripeGateway",
    ]
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.url
    yield fake
    fake.stop()


def stripe_signature(payload: bytes, *, secret=WEBHOOK_SECRET, timestamp=None) -> str:
    """Stripe's documented scheme: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def stripe_event(event_type, item, *, event_id="evt_stripe_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": item},
        }
    ).encode()


def session_completed(payment, *, payment_status="paid", amount_total=12900, **changes):
    return {
        "id": payment.provider_reference,
        "object": "checkout.session",
        "amount_total": amount_total,
        "currency": "usd",
        "payment_status": payment_status,
        "payment_intent": "pi_test_1",
        "client_reference_id": payment.reference,
        "metadata": {"reference": payment.reference},
        **changes,
    }


def deliver(body: bytes, **signature):
    return services.handle_webhook(
        gateway_code="stripe",
        headers={"Stripe-Signature": stripe_signature(body, **signature)},
        body=body,
    )


@pytest.fixture
def stripe_order(fake_stripe):
    order, payment = place_order(price="124.00", payment_method="stripe", start=False)
    payment = services.start_payment(
        payment=payment,
        return_url=f"https://shop.example/orders/{order.number}/",
        cancel_url="https://shop.example/checkout/",
    )
    return order, payment


def test_start_opens_a_checkout_session_with_an_idempotency_key(fake_stripe, stripe_order):
    order, payment = stripe_order

    assert payment.provider_reference == "cs_test_1"
    assert payment.redirect_url == "https://checkout.stripe.test/c/pay/cs_test_1"
    [request] = fake_stripe.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.headers["Idempotency-Key"] == f"start-{payment.reference}"
    assert request.headers["Authorization"] == "Bearer sk_test_fake"
    assert request.params["mode"] == "payment"
    assert request.params["line_items[0][price_data][unit_amount]"] == "12900"
    assert request.params["line_items[0][price_data][currency]"] == "usd"
    assert request.params["line_items[0][quantity]"] == "1"
    assert request.params["metadata[reference]"] == payment.reference
    assert request.params["payment_intent_data[metadata][reference]"] == payment.reference
    assert request.params["success_url"] == f"https://shop.example/orders/{order.number}/"
    assert request.params["cancel_url"] == "https://shop.example/checkout/"
    assert request.params["customer_email"] == "ada@example.com"


def test_starting_twice_opens_one_session(fake_stripe, stripe_order):
    order, payment = stripe_order
    services.start_payment(payment=payment, return_url="https://shop.example/x/")
    assert len(fake_stripe.requests) == 1


def test_a_completed_session_pays_the_order(
    client, stripe_order, django_capture_on_commit_callbacks
):
    order, payment = stripe_order
    body = stripe_event("checkout.session.completed", session_completed(payment))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/payments/stripe/webhook",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(body),
        )

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "Payment captured; order marked paid."
    order.refresh_from_db()
    assert (order.payment_status, order.amount_paid) == ("paid", Decimal("129.00"))
    assert payment.transactions.get(kind="capture").provider_reference == "pi_test_1"
    assert [m.subject for m in mail.outbox] == [f"Payment received for order {order.number}"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body: (body, {"secret": "whsec_forged"}), id="wrong-secret"),
        pytest.param(lambda body: (body, {"timestamp": int(time.time()) - 301}), id="stale"),
        pytest.param(
            lambda body: (body.replace(b"12900", b"12901"), {}), id="body-changed-after-signing"
        ),
    ],
)
def test_stripe_signatures_are_verified(stripe_order, tamper):
    order, payment = stripe_order
    signed = stripe_event("checkout.session.completed", session_completed(payment))
    body, signature = tamper(signed)
    header = stripe_signature(signed, **signature)

    with pytest.raises(InvalidWebhook):
        services.handle_webhook(
            gateway_code="stripe", headers={"Stripe-Signature": header}, body=body
        )

    assert WebhookEvent.objects.count() == 0
    order.refresh_from_db()
    assert order.payment_status == "unpaid"


def test_a_missing_stripe_signature_answers_400(client, stripe_order):
    order, payment = stripe_order
    body = stripe_event("checkout.session.completed", session_completed(payment))
    response = client.post(
        "/api/v1/payments/stripe/webhook", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_webhook"
    assert WebhookEvent.objects.count() == 0


def test_a_delayed_payment_is_paid_when_it_succeeds(stripe_order):
    order, payment = stripe_order
    first = deliver(
        stripe_event(
            "checkout.session.completed",
            session_completed(payment, payment_status="unpaid"),
            event_id="evt_a",
        )
    )
    assert first.status == "ignored"
    order.refresh_from_db()
    assert order.payment_status == "unpaid"

    deliver(
        stripe_event(
            "checkout.session.async_payment_succeeded", session_completed(payment), event_id="evt_b"
        )
    )
    order.refresh_from_db()
    assert order.payment_status == "paid"


def test_an_expired_session_is_a_failed_payment(stripe_order):
    order, payment = stripe_order
    outcome = deliver(
        stripe_event(
            "checkout.session.expired",
            session_completed(payment, payment_status="unpaid", status="expired"),
        )
    )
    assert outcome.outcome == "Payment failure recorded."
    payment.refresh_from_db()
    assert payment.status == "failed"


def test_a_wrong_amount_from_stripe_is_flagged(stripe_order):
    order, payment = stripe_order
    deliver(
        stripe_event("checkout.session.completed", session_completed(payment, amount_total=100))
    )
    order.refresh_from_db()
    assert order.is_flagged and order.payment_status == "unpaid"
    assert "reported 1.00 USD" in order.flag_reason


def test_refunds_go_through_stripe_once(fake_stripe, stripe_order):
    order, payment = stripe_order
    deliver(stripe_event("checkout.session.completed", session_completed(payment)))

    record = services.refund_payment(payment=Payment.objects.get(pk=payment.pk), amount="40.00")

    request = fake_stripe.requests[-1]
    assert request.path == "/v1/refunds"
    assert request.params == {"payment_intent": "pi_test_1", "amount": "4000"}
    assert request.headers["Idempotency-Key"].startswith(f"refund-{payment.reference}-")
    assert (record.provider_reference, record.amount) == ("re_test_2", Decimal("40.00"))
    order.refresh_from_db()
    assert (order.amount_refunded, order.payment_status) == (Decimal("40.00"), "partially_refunded")

    # Stripe's charge.refunded notice, carrying the running total, adds nothing.
    charge = {
        "id": "ch_test_1",
        "object": "charge",
        "amount": 12900,
        "amount_refunded": 4000,
        "currency": "usd",
        "payment_intent": "pi_test_1",
        "metadata": {"reference": payment.reference},
        "refunded": False,
    }
    notice = deliver(stripe_event("charge.refunded", charge, event_id="evt_r1"))
    assert notice.outcome == "Refund already counted."
    # A refund of 10.00 made in Stripe's dashboard shows as a higher running total.
    charge_without_reference = {**charge, "amount_refunded": 5000, "metadata": {}}
    notice = deliver(stripe_event("charge.refunded", charge_without_reference, event_id="evt_r2"))
    assert notice.outcome == "Refund of 10.00 USD recorded."
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("50.00")


def test_every_call_to_stripe_carries_an_idempotency_key(fake_stripe, stripe_order):
    order, payment = stripe_order
    deliver(stripe_event("checkout.session.completed", session_completed(payment)))
    services.refund_payment(payment=Payment.objects.get(pk=payment.pk), amount="1.00")
    services.refund_payment(payment=Payment.objects.get(pk=payment.pk), amount="2.00")
    keys = [r.headers.get("Idempotency-Key") for r in fake_stripe.requests]
    assert len(keys) == 3 and all(keys) and len(set(keys)) == 3


def test_a_refund_stripe_refuses_gives_the_amount_back(fake_stripe, stripe_order):
    order, payment = stripe_order
    deliver(stripe_event("checkout.session.completed", session_completed(payment)))
    fake_stripe.refund_error = (
        400,
        {"error": {"type": "invalid_request_error", "message": "Charge already refunded."}},
    )

    with pytest.raises(services.RefundFailed) as error:
        services.refund_payment(payment=Payment.objects.get(pk=payment.pk), amount="10.00")

    assert "Charge already refunded." in error.value.message
    order.refresh_from_db()
    assert (order.amount_refunded, order.payment_status) == (Decimal("0.00"), "paid")


def test_an_unconfigured_stripe_fails_the_start_without_raising(settings, fake_stripe):
    settings.STRIPE_SECRET_KEY = ""
    order, payment = place_order(payment_method="stripe", start=False)
    payment = services.start_payment(payment=payment, return_url="https://shop.example/")
    start = payment.transactions.get(kind="start")
    assert (start.success, start.message) == (
        False,
        "Stripe is not configured: set STRIPE_SECRET_KEY.",
    )
    assert fake_stripe.requests == []


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("129.00", "USD", 12900), ("0.01", "EUR", 1), ("1500", "JPY", 1500), ("1.234", "KWD", 1234)],
)
def test_minor_units(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor
    assert from_minor(minor, currency) == Decimal(amount)
