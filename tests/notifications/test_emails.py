"""Order e-mails: sent after the commit through the task queue, in the order's language."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from mallkit.notifications import services
from mallkit.orders.models import OrderEvent
from mallkit.payments import services as payments
from tests.factories import VoucherFactory
from tests.payments.helpers import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit, as it would after a real one."""
    return django_capture_on_commit_callbacks


def html_of(message) -> str:
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return html


def test_the_order_confirmation_shows_lines_totals_address_and_bank_details(settings, commit):
    settings.MALLKIT_BANK_DETAILS = "Demo Bank · IBAN DE00 1234"
    VoucherFactory(code="TEN", kind="fixed", value=Decimal("10.00"))
    order, _ = place_order(
        price="30.00", quantity=3, payment_method="bank_transfer", voucher_code="TEN"
    )

    with commit(execute=True):
        services.send_order_confirmation(order=order)

    [message] = mail.outbox
    assert message.subject == f"Your order {order.number} at {settings.MALLKIT_SHOP_NAME}"
    assert message.to == ["ada@example.com"]
    assert message.reply_to == [settings.MALLKIT_SHOP_EMAIL]
    text = message.body
    assert "Hello Ada Lovelace," in text
    assert f"- 3 × Linen Shirt, {order.lines.get().sku}: 90.00 USD" in text  # before discount
    assert "Subtotal: 90.00 USD" in text
    assert "Discount: −10.00 USD" in text
    assert "Shipping: 5.00 USD" in text
    assert "Total: 85.00 USD" in text
    assert "12 Analytical Row" in text and "N1 7GU London" in text
    assert "Payment: Bank transfer" in text
    assert (
        f"Please transfer 85.00 USD to Demo Bank · IBAN DE00 1234 and quote {order.number}" in text
    )
    html = html_of(message)
    assert "Thank you for your order" in html
    assert "85.00 USD" in html and "Demo Bank · IBAN DE00 1234" in html
    assert "12 Analytical Row" in html
    event = order.events.get(type=OrderEvent.Type.EMAIL_SENT)
    assert event.data == {"email": "order_confirmation", "to": "ada@example.com"}
    assert event.message == f"“{message.subject}” sent to ada@example.com."


def test_cash_on_delivery_says_to_have_the_money_ready(commit):
    order, _ = place_order(price="20.00", payment_method="cod")
    with commit(execute=True):
        services.send_order_confirmation(order=order)
    assert "Please have 25.00 USD ready when your parcel arrives." in mail.outbox[0].body


def test_card_orders_promise_a_payment_e_mail(commit):
    order, _ = place_order(price="20.00", payment_method="sandbox")
    with commit(execute=True):
        services.send_order_confirmation(order=order)
    body = mail.outbox[0].body
    assert "We will e-mail you again as soon as your payment is received." in body
    assert "How to pay" not in body


def test_nothing_is_sent_until_the_transaction_commits(django_capture_on_commit_callbacks):
    order, _ = place_order(payment_method="cod")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            services.send_order_confirmation(order=order)
            assert mail.outbox == []
    assert mail.outbox == [] and len(callbacks) == 1

    callbacks[0]()
    assert len(mail.outbox) == 1


def test_a_rolled_back_change_mails_nobody(django_capture_on_commit_callbacks):
    order, _ = place_order(payment_method="cod")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.send_payment_received(order=order)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert mail.outbox == []


def zh(msgid: str, **params) -> str:
    """The Chinese the e-mails should show, from whichever catalogue is in use; it must exist."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    assert text != msgid, f"“{msgid}” has no Chinese translation"
    return text % params if params else text


def test_the_confirmation_in_chinese(chinese, commit, settings):
    order, _ = place_order(price="124.00", payment_method="bank_transfer", language=chinese)

    with commit(execute=True):
        services.send_order_confirmation(order=order)

    [message] = mail.outbox
    assert message.subject == zh(
        "Your order %(number)s at %(shop)s", number=order.number, shop=settings.MALLKIT_SHOP_NAME
    )
    text = message.body
    assert zh("Thank you for your order") in text
    assert zh("Hello %(customer_name)s,", customer_name="Ada Lovelace") in text
    assert f"{zh('Subtotal')}: 124.00 USD" in text
    assert f"{zh('Shipping')}: 5.00 USD" in text
    assert f"{zh('Total')}: 129.00 USD" in text
    assert f"{zh('Payment')}: {zh('Bank transfer')}" in text
    instructions = zh(
        "Please transfer %(amount)s %(currency)s to %(bank)s and quote %(reference)s as the "
        "payment reference. We ship once the money has arrived.",
        amount="129.00",
        currency="USD",
        bank=settings.MALLKIT_BANK_DETAILS,
        reference=order.number,
    )
    assert instructions in text
    assert "Thank you" not in text and "Subtotal" not in text
    html = html_of(message)
    assert 'lang="zh-hans"' in html
    assert zh("Shipping address") in html and "129.00 USD" in html


def test_payment_received_in_english_and_chinese(chinese, commit):
    english, english_payment = place_order(price="124.00", email="en@example.com")
    chinese_order, chinese_payment = place_order(
        price="10.00", quantity=2, email="zh@example.com", language=chinese
    )

    with commit(execute=True):
        for payment in (english_payment, chinese_payment):
            payments.record_success(payment=payment, amount=payment.amount, currency="USD")

    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address["en@example.com"].subject == (f"Payment received for order {english.number}")
    assert f"We have received your payment of 129.00 USD for order {english.number}." in (
        by_address["en@example.com"].body
    )
    message = by_address["zh@example.com"]
    assert message.subject == zh(
        "Payment received for order %(number)s", number=chinese_order.number
    )
    received = zh(
        "We have received your payment of %(amount)s for order %(number)s. We are now preparing "
        "your parcel and will let you know when it ships.",
        amount="25.00 USD",
        number=chinese_order.number,
    )
    assert received in message.body
    assert f"{zh('Total')}: 25.00 USD" in message.body
    assert "20.00 USD" in message.body  # the line: 2 × 10.00


def test_payment_failed_in_chinese_names_the_deadline(chinese, commit):
    order, payment = place_order(price="124.00", language=chinese)
    with commit(execute=True):
        services.send_payment_failed(order=order)
    [message] = mail.outbox
    assert message.subject == zh(
        "Payment for order %(number)s did not go through", number=order.number
    )
    declined = zh(
        "Your payment of %(amount)s for order %(number)s was declined, and no money was taken.",
        amount="129.00 USD",
        number=order.number,
    )
    assert declined in message.body
    assert "UTC" in message.body


def test_payment_failed_in_english(commit):
    order, payment = place_order(price="124.00")
    with commit(execute=True):
        services.send_payment_failed(order=order)
    body = mail.outbox[0].body
    assert f"Your payment of 129.00 USD for order {order.number} was declined" in body
    assert "We keep your items reserved until" in body
    assert "(UTC)" in body


def test_a_deleted_order_is_skipped():
    from mallkit.notifications.tasks import send_order_confirmation_email

    result = send_order_confirmation_email.enqueue(987654)
    assert result.return_value is False
    assert mail.outbox == []


def test_the_e_mails_link_to_the_order_page_which_opens_for_a_guest(settings, commit, client):
    settings.MALLKIT_SITE_URL = "https://shop.example.com"
    order, payment = place_order(price="30.00", payment_method="bank_transfer")

    with commit(execute=True):
        services.send_order_confirmation(order=order)

    [message] = mail.outbox
    prefix = f"https://shop.example.com/checkout/complete/{order.number}/?token="
    [link] = [word for word in message.body.split() if word.startswith(prefix)]
    assert f'href="{link}"' in html_of(message)
    page = client.get(link.removeprefix("https://shop.example.com"))
    assert page.status_code == 200
    assert order.number in page.content.decode()


def test_without_the_shops_address_the_e_mails_have_no_link(settings, commit):
    settings.MALLKIT_SITE_URL = ""
    order, payment = place_order(price="30.00", payment_method="bank_transfer")

    with commit(execute=True):
        services.send_order_confirmation(order=order)

    [message] = mail.outbox
    assert "/checkout/complete/" not in message.body
    assert "/checkout/complete/" not in html_of(message)
