"""The sandbox provider's pages: three test cards, one payment per reference, no open redirects."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from mallkit.orders.models import Order
from mallkit.payments import services
from mallkit.payments.models import Payment, WebhookEvent
from mallkit.payments.sandbox.models import SandboxCharge

from .helpers import place_order

pytestmark = pytest.mark.django_db

CARD = {"expiry": f"12 / {(date.today().year + 2) % 100:02d}", "cvc": "123", "name": "Ada"}


def pay_url(payment):
    return reverse("sandbox:pay", kwargs={"reference": payment.reference})


def confirm_url(payment):
    return reverse("sandbox:confirm", kwargs={"reference": payment.reference})


@pytest.fixture
def shop_order():
    order, payment = place_order(price="124.00")
    return order, payment


def test_the_checkout_sends_the_shopper_to_the_sandbox_with_the_return_address(shop_order):
    order, payment = shop_order
    assert payment.redirect_url == (f"{pay_url(payment)}?return_url=%2Forders%2F{order.number}%2F")


def test_the_payment_page_shows_the_amount_merchant_and_test_cards(client, shop_order, settings):
    order, payment = shop_order
    response = client.get(payment.redirect_url)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Sandbox — no real money" in page
    assert "129.00" in page and "USD" in page
    assert settings.MALLKIT_SHOP_NAME in page
    assert f"Order {order.number}" in page
    for number in ("4242 4242 4242 4242", "4000 0000 0000 0002", "4000 0000 0000 3220"):
        assert number in page
    charge = SandboxCharge.objects.get(reference=payment.reference)
    assert (charge.amount, charge.currency, charge.status) == (Decimal("129.00"), "USD", "pending")
    assert charge.return_url == f"/orders/{order.number}/"


def test_the_succeeding_card_pays_the_order_through_the_webhook(
    client, shop_order, django_capture_on_commit_callbacks
):
    order, payment = shop_order
    client.get(payment.redirect_url)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(pay_url(payment), {"number": "4242 4242 4242 4242", **CARD})

    assert response.status_code == 302
    assert response.url == f"/orders/{order.number}/"
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("confirmed", "paid")
    event = WebhookEvent.objects.get()
    assert (event.gateway, event.type) == ("sandbox", "payment.succeeded")
    assert event.outcome == "Payment captured; order marked paid."
    assert event.payload["data"] == {
        "reference": payment.reference,
        "amount": "129.00",
        "currency": "USD",
        "charge": SandboxCharge.objects.get().charge_id,
    }
    assert [m.subject for m in mail.outbox] == [f"Payment received for order {order.number}"]
    charge = SandboxCharge.objects.get()
    assert (charge.status, charge.card_last4) == ("succeeded", "4242")


def test_the_declined_card_fails_the_payment_and_mails_the_shopper(
    client, shop_order, django_capture_on_commit_callbacks
):
    order, payment = shop_order
    client.get(payment.redirect_url)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(pay_url(payment), {"number": "4000000000000002", **CARD})

    assert response.status_code == 402
    assert "Your card was declined. Try another card." in response.content.decode()
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.payment_status, payment.status) == ("pending", "unpaid", "failed")
    assert payment.transactions.get(kind="failure").message == "The card was declined."
    assert [m.subject for m in mail.outbox] == [
        f"Payment for order {order.number} did not go through"
    ]

    # The shopper tries again with a good card and pays.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(pay_url(payment), {"number": "4242424242424242", **CARD})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.payment_status == "paid"


def test_the_card_needing_confirmation_then_approved(
    client, shop_order, django_capture_on_commit_callbacks
):
    order, payment = shop_order
    client.get(payment.redirect_url)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(pay_url(payment), {"number": "4000 0000 0000 3220", **CARD})
    assert response.status_code == 302 and response.url == confirm_url(payment)
    assert callbacks == []  # nothing is reported before the cardholder answers

    page = client.get(confirm_url(payment))
    assert page.status_code == 200
    assert "Confirm this payment" in page.content.decode()
    assert "ending in 3220" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(payment), {"decision": "approve"})
    assert response.status_code == 302 and response.url == f"/orders/{order.number}/"
    order.refresh_from_db()
    assert order.payment_status == "paid"


def test_the_card_needing_confirmation_then_denied(
    client, shop_order, django_capture_on_commit_callbacks
):
    order, payment = shop_order
    client.get(payment.redirect_url)
    client.post(pay_url(payment), {"number": "4000000000003220", **CARD})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(payment), {"decision": "deny"})

    assert response.status_code == 402
    assert "The payment was not confirmed" in response.content.decode()
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, order.payment_status) == ("failed", "unpaid")
    assert WebhookEvent.objects.get().type == "payment.failed"
    assert len(mail.outbox) == 1
    # Nothing is left to confirm.
    assert client.get(confirm_url(payment)).url == pay_url(payment)
    assert client.post(confirm_url(payment), {"decision": "approve"}).status_code == 302
    payment.refresh_from_db()
    assert payment.status == "failed"


def test_a_bad_decision_is_refused(client, shop_order):
    order, payment = shop_order
    client.get(payment.redirect_url)
    client.post(pay_url(payment), {"number": "4000000000003220", **CARD})
    assert client.post(confirm_url(payment), {"decision": "maybe"}).status_code == 400
    assert SandboxCharge.objects.get().status == "requires_confirmation"


def test_an_unknown_reference_is_not_found(client):
    assert client.get("/sandbox/pay/pay_000000000000000000000000/").status_code == 404
    assert client.post("/sandbox/pay/pay_nope/", {"number": "4242424242424242"}).status_code == 404
    assert client.get("/sandbox/pay/pay_nope/confirm/").status_code == 404


def test_a_bank_transfer_reference_is_not_a_sandbox_payment(client):
    order, payment = place_order(payment_method="bank_transfer")
    assert client.get(pay_url(payment)).status_code == 404


def test_a_paid_reference_cannot_be_paid_twice(
    client, shop_order, django_capture_on_commit_callbacks
):
    order, payment = shop_order
    client.get(payment.redirect_url)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(pay_url(payment), {"number": "4242424242424242", **CARD})

    page = client.get(pay_url(payment))
    assert page.status_code == 200
    assert "Payment complete" in page.content.decode()
    assert "cannot be made twice" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = client.post(pay_url(payment), {"number": "4242424242424242", **CARD})
    assert again.status_code == 409
    assert callbacks == []
    assert payment.transactions.filter(kind="capture").count() == 1
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize(
    "address",
    [
        "https://evil.example/",
        "//evil.example/steal",
        "/\\evil.example",
        "javascript:alert(1)",
        "https:///evil.example",
        "/ok\n/evil",
    ],
)
def test_a_return_address_off_the_site_is_refused(client, shop_order, address):
    order, payment = shop_order
    response = client.get(pay_url(payment), {"return_url": address})
    assert response.status_code == 400
    assert "must be a page of the shop" in response.content.decode()
    response = client.get(pay_url(payment), {"cancel_url": address})
    assert response.status_code == 400
    assert not SandboxCharge.objects.exists()


def test_an_absolute_return_address_from_the_checkout_keeps_only_its_path(shop_order):
    order, _ = shop_order
    payment = Payment.objects.create(
        order=order, gateway="sandbox", reference="pay_abs", amount="129.00", currency="USD"
    )
    payment = services.start_payment(
        payment=payment, return_url="https://evil.example/orders/MK-1/?x=1"
    )
    assert payment.redirect_url == "/sandbox/pay/pay_abs/?return_url=%2Forders%2FMK-1%2F%3Fx%3D1"


@pytest.mark.parametrize(
    ("card", "error"),
    [
        ({"number": "4242 4242 4242 4241"}, "Your card number is incomplete or incorrect."),
        ({"number": "5555 5555 5555 4444"}, "use one of the test cards"),
        ({"expiry": "13 / 30"}, "Enter the expiry date as MM / YY."),
        ({"expiry": "01 / 20"}, "Your card has expired."),
        ({"cvc": "12"}, "security code is incomplete"),
    ],
)
def test_card_details_are_checked(client, shop_order, card, error):
    order, payment = shop_order
    client.get(payment.redirect_url)
    response = client.post(pay_url(payment), {"number": "4242424242424242", **CARD, **card})
    assert response.status_code == 400
    assert error in response.content.decode().replace("&#x27;", "'")
    assert SandboxCharge.objects.get().status == "pending"


def test_an_expired_order_can_no_longer_be_paid(client, shop_order):
    from mallkit.orders import services as orders

    order, payment = shop_order
    orders.expire_unpaid_orders(now=order.expires_at)
    response = client.get(payment.redirect_url)
    assert response.status_code == 410
    assert "This payment is closed" in response.content.decode()


def test_the_sandbox_is_gone_when_its_gateway_is_disabled(client, shop_order, settings):
    order, payment = shop_order
    settings.MALLKIT_PAYMENT_GATEWAYS = ["mallkit.payments.gateways.offline.BankTransfer"]
    assert client.get(pay_url(payment)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_webhooks_go_over_real_http_when_a_webhook_url_is_set(client, live_server, settings):
    settings.MALLKIT_SANDBOX_WEBHOOK_URL = f"{live_server.url}/api/v1/payments/sandbox/webhook"
    order, payment = place_order(price="124.00")
    client.get(payment.redirect_url)

    response = client.post(pay_url(payment), {"number": "4242424242424242", **CARD})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert WebhookEvent.objects.get().outcome == "Payment captured; order marked paid."


@pytest.mark.django_db(transaction=True)
def test_a_delivery_the_shop_refuses_fails_the_task(settings, live_server):
    from mallkit.payments.sandbox.tasks import DeliveryFailed, deliver_event

    settings.MALLKIT_SANDBOX_WEBHOOK_URL = f"{live_server.url}/api/v1/payments/sandbox/webhook"
    settings.MALLKIT_SANDBOX_SECRET = "the-shop-expects-this"
    result = deliver_event.enqueue('{"id":"evt_1"}')
    assert result.status == "FAILED"
    assert result.errors[0].exception_class is DeliveryFailed
    assert WebhookEvent.objects.count() == 0
