"""POST /api/v1/payments/{gateway}/webhook: verified, stored once, applied once."""

import json
import time

import pytest
from django.core import mail
from django.test import Client

from mallkit.orders.models import Order
from mallkit.payments.models import PaymentTransaction, WebhookEvent
from tests.payments.helpers import event_body, place_order, signed_headers

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/sandbox/webhook"
SECRET = "api-test-sandbox-secret"


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_TAX_RATE = "0"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    settings.MALLKIT_SANDBOX_SECRET = SECRET


@pytest.fixture
def provider():
    """A client like a provider's: no session, and Django's CSRF checks enforced."""
    return Client(enforce_csrf_checks=True)


def post(client, body: bytes, headers: dict, url: str = URL):
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.post(url, data=body, content_type="application/json", **extra)


def assert_nothing_written(order, payment):
    assert WebhookEvent.objects.count() == 0
    assert not PaymentTransaction.objects.filter(payment=payment).exclude(kind="start").exists()
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.payment_status, order.is_flagged) == ("pending", "unpaid", False)
    assert payment.status == "pending"
    assert mail.outbox == []


def test_a_signed_event_is_applied(provider, django_capture_on_commit_callbacks):
    order, payment = place_order(price="124.00")
    body = event_body(payment, event_id="evt_api_1")

    with django_capture_on_commit_callbacks(execute=True):
        response = post(provider, body, signed_headers(body))

    assert response.status_code == 200
    assert response.json() == {
        "status": "processed",
        "event_id": "evt_api_1",
        "outcome": "Payment captured; order marked paid.",
    }
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert len(mail.outbox) == 1


def test_a_replayed_event_answers_duplicate(provider, django_capture_on_commit_callbacks):
    order, payment = place_order()
    body = event_body(payment, event_id="evt_twice")
    headers = signed_headers(body)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [post(provider, body, headers).json()["status"] for _ in range(5)]

    assert answers == ["processed"] + ["duplicate"] * 4
    assert PaymentTransaction.objects.filter(payment=payment, kind="capture").count() == 1
    assert order.events.filter(type="paid").count() == 1
    assert len(mail.outbox) == 1


def stale(body):
    return signed_headers(body, timestamp=int(time.time()) - 301)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body: (body, {}), id="missing-header"),
        pytest.param(lambda body: (body, {"Mallkit-Signature": ""}), id="empty-header"),
        pytest.param(lambda body: (body, {"Mallkit-Signature": "v1=abc"}), id="no-timestamp"),
        pytest.param(
            lambda body: (body, {"Mallkit-Signature": "t=soon,v1=abc"}), id="bad-timestamp"
        ),
        pytest.param(lambda body: (body, {"Mallkit-Signature": "nonsense"}), id="malformed"),
        pytest.param(
            lambda body: (body, signed_headers(body, secret="forged-secret")), id="wrong-secret"
        ),
        pytest.param(lambda body: (body, stale(body)), id="older-than-five-minutes"),
        pytest.param(
            lambda body: (body, signed_headers(body, timestamp=int(time.time()) + 3600)),
            id="from-the-future",
        ),
        pytest.param(
            lambda body: (body[:-2] + b"x" + body[-1:], signed_headers(body)),
            id="one-byte-changed",
        ),
        pytest.param(
            lambda body: (body + b" ", signed_headers(body)),
            id="one-byte-added",
        ),
        pytest.param(
            lambda body: (
                body,
                {
                    "Mallkit-Signature": signed_headers(body)["Mallkit-Signature"].replace(
                        "v1=", "v0="
                    )
                },
            ),
            id="wrong-scheme",
        ),
    ],
)
def test_bad_signatures_answer_400_and_write_nothing(provider, tamper):
    order, payment = place_order()
    body, headers = tamper(event_body(payment))

    response = post(provider, body, headers)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_webhook"
    assert set(response.json()) == {"detail", "code", "errors"}
    assert_nothing_written(order, payment)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "evt_1", "type": "payment.succeeded"}',
        b'{"id": "evt_1", "type": "payment.stolen", "data": '
        b'{"reference": "x", "amount": "1.00", "currency": "USD"}}',
        b'{"id": "evt_1", "type": "payment.succeeded", "data": '
        b'{"reference": "x", "amount": "NaN", "currency": "USD"}}',
        b'{"id": "", "type": "payment.succeeded", "data": '
        b'{"reference": "x", "amount": "1.00", "currency": "USD"}}',
    ],
    ids=["not-json", "list", "no-data", "unknown-type", "nan-amount", "empty-id"],
)
def test_signed_but_malformed_bodies_answer_400(provider, body):
    response = post(provider, body, signed_headers(body))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_webhook"
    assert WebhookEvent.objects.count() == 0


def test_an_unknown_gateway_answers_404(provider):
    body = b"{}"
    response = post(provider, body, signed_headers(body), url="/api/v1/payments/paypal/webhook")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_payment_method"


def test_offline_gateways_take_no_webhooks(provider):
    body = b"{}"
    response = post(
        provider, body, signed_headers(body), url="/api/v1/payments/bank_transfer/webhook"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_webhook"


def test_an_event_for_an_unknown_payment_is_stored_and_answered_200(provider):
    body = json.dumps(
        {
            "id": "evt_lost",
            "type": "payment.succeeded",
            "data": {"reference": "pay_unknown", "amount": "5.00", "currency": "USD"},
        }
    ).encode()
    response = post(provider, body, signed_headers(body))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert WebhookEvent.objects.get().outcome == "unknown payment"


def test_an_amount_mismatch_is_flagged_not_paid(provider, django_capture_on_commit_callbacks):
    order, payment = place_order()
    body = event_body(payment, amount="1.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(provider, body, signed_headers(body))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.is_flagged and order.payment_status == "unpaid"
    assert mail.outbox == []


def test_the_webhook_is_in_the_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/payments/{gateway}/webhook"]["post"]
    assert {"200", "400", "404"} <= set(operation["responses"])
    assert not operation.get("security")
