"""Order reads for shoppers: through their owner or a signed link, in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from mallkit.checkout import services as checkout
from mallkit.core.errors import NotFound
from mallkit.orders import selectors
from mallkit.orders import services as orders
from mallkit.orders.models import OrderEvent
from mallkit.orders.selectors import PaymentState
from mallkit.payments import services as payments
from mallkit.payments.gateways.base import GatewayError
from mallkit.payments.gateways.sandbox import SandboxGateway
from mallkit.payments.models import Payment
from tests.factories import ShippingMethodFactory, UserFactory, buyable_variant

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "city": "London",
    "postal_code": "N1 7GU",
    "country": "GB",
}


@pytest.fixture(autouse=True)
def shop(settings):
    settings.MALLKIT_TAX_RATE = "0"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    ShippingMethodFactory(code="standard", price=Decimal("5.00"))


def place(customer=None, *, payment_method="bank_transfer", lines=1, start=True):
    variants = [buyable_variant(price="10.00", stock=10) for _ in range(lines)]
    order = checkout.place_order(
        items={variant.pk: 3 for variant in variants},
        email=customer.email if customer else "guest@example.com",
        shipping_address=ADDRESS,
        shipping_method_code="standard",
        payment_method=payment_method,
        customer=customer,
    )
    payment = Payment.objects.get(order=order)
    if start:
        payment = payments.start_payment(payment=payment, return_url="/back/")
    return order, payment


def test_a_customers_orders_newest_first_with_their_item_count(django_assert_num_queries):
    ada = UserFactory()
    older, _ = place(ada, lines=2)
    newer, _ = place(ada)
    place(UserFactory())
    place()

    with django_assert_num_queries(1):
        found = list(selectors.orders_for_customer(customer=ada))

    assert [(order.number, order.item_count) for order in found] == [
        (newer.number, 3),
        (older.number, 6),
    ]


def test_nobody_signed_in_has_no_orders():
    place()
    assert list(selectors.orders_for_customer(customer=AnonymousUser())) == []
    assert list(selectors.orders_for_customer(customer=None)) == []


def test_one_order_through_its_owner_in_six_queries(django_assert_num_queries):
    ada = UserFactory()
    order, payment = place(ada, payment_method="sandbox", lines=4)
    orders.record_event(order=order, type=OrderEvent.Type.NOTE, message="Staff only")

    # The order, lines, events, payments, transactions and shipments (their lines once shipped).
    with django_assert_num_queries(6):
        detail = selectors.order_for_customer(customer=ada, number=order.number)
        [list(p.transactions.all()) for p in detail.order.payments.all()]

    assert detail.order == order
    assert [line.amount for line in detail.lines] == [Decimal("30.00")] * 4
    assert [event.type for event in detail.events] == [OrderEvent.Type.PLACED]
    assert detail.payment == payment
    assert detail.payment_state == PaymentState.WAITING
    assert detail.pay_url == payment.redirect_url
    assert detail.instructions == ""


@pytest.mark.parametrize("who", ["another", "anonymous", "none"])
def test_anyone_but_the_owner_gets_not_found(who):
    order, _ = place(UserFactory())
    customer = {"another": UserFactory(), "anonymous": AnonymousUser(), "none": None}[who]
    with pytest.raises(NotFound) as error:
        selectors.order_for_customer(customer=customer, number=order.number)
    with pytest.raises(NotFound) as missing:
        selectors.order_for_customer(customer=UserFactory(), number="MK-MISSING")
    assert error.value.message == missing.value.message
    assert error.value.code == missing.value.code == "not_found"


def test_a_signed_link_opens_the_order_and_nothing_else():
    order, _ = place()
    other, _ = place()
    token = selectors.order_link_token(order=order)

    assert len(token) >= 40
    assert token != selectors.order_link_token(order=other)
    assert selectors.order_for_link(number=order.number, token=token).order == order
    for number, bad in [
        (order.number, ""),
        (order.number, token[:-2]),
        (order.number, token.upper() if token != token.upper() else token.lower()),
        (other.number, token),
        ("MK-MISSING", token),
        (order.number, f"{token}:extra"),
    ]:
        with pytest.raises(NotFound):
            selectors.order_for_link(number=number, token=bad)


def test_the_token_depends_on_the_secret_key(settings):
    order, _ = place()
    token = selectors.order_link_token(order=order)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    with pytest.raises(NotFound):
        selectors.order_for_link(number=order.number, token=token)


def test_a_shopper_reaches_an_order_by_link_or_as_its_owner():
    ada = UserFactory()
    order, _ = place(ada)
    token = selectors.order_link_token(order=order)
    stranger = UserFactory()

    assert selectors.order_for_shopper(user=ada, number=order.number).order == order
    assert selectors.order_for_shopper(user=stranger, number=order.number, token=token)
    with pytest.raises(NotFound):
        selectors.order_for_shopper(user=stranger, number=order.number)
    with pytest.raises(NotFound):
        selectors.order_for_shopper(user=ada, number=order.number, token="forged")


def detail_of(order):
    return selectors.order_for_link(
        number=order.number, token=selectors.order_link_token(order=order)
    )


def test_offline_orders_explain_how_to_pay_until_paid():
    order, payment = place(payment_method="bank_transfer")
    detail = detail_of(order)
    assert detail.payment_state == PaymentState.INSTRUCTIONS
    assert "Please transfer 35.00" in detail.instructions
    assert detail.pay_url == ""

    payments.record_success(payment=payment, amount=payment.amount, currency=payment.currency)

    detail = detail_of(order)
    assert (detail.payment_state, detail.instructions) == (PaymentState.PAID, "")


def test_cash_on_delivery_explains_the_money_to_have_ready():
    order, _ = place(payment_method="cod")
    detail = detail_of(order)
    assert detail.payment_state == PaymentState.INSTRUCTIONS
    assert detail.instructions == "Please have 35.00 USD ready when your parcel arrives."


def test_a_failed_online_payment_may_be_tried_again_on_its_page():
    order, payment = place(payment_method="sandbox")
    payments.record_failure(payment=payment, message="Declined")
    detail = detail_of(order)
    assert detail.payment_state == PaymentState.FAILED
    assert detail.pay_url == payment.redirect_url


def test_an_expired_order_can_no_longer_be_paid():
    order, _ = place(payment_method="sandbox")
    assert orders.expire_order(order=order)
    detail = detail_of(order)
    assert (detail.payment_state, detail.pay_url) == (PaymentState.CLOSED, "")


def test_a_payment_page_that_could_not_be_opened_is_a_failure(monkeypatch):
    def refuse(self, *, payment):
        raise GatewayError("The provider is down.")

    monkeypatch.setattr(SandboxGateway, "start", refuse)
    order, payment = place(payment_method="sandbox")

    detail = detail_of(order)
    assert (detail.payment_state, detail.pay_url) == (PaymentState.FAILED, "")
