from decimal import Decimal

import pytest
from django.db.models import Sum

from mallkit.checkout import services
from mallkit.core.errors import NotFound, ValidationFailed
from mallkit.inventory.models import StockLevel
from mallkit.inventory.services import InsufficientStock
from mallkit.orders.models import Order, OrderEvent, OrderLine
from mallkit.payments.models import Payment
from mallkit.promotions.models import Voucher, VoucherRedemption
from mallkit.promotions.services import VoucherNotValid, VoucherUsedUp
from tests.concurrency import run_concurrently
from tests.factories import ShippingMethodFactory, UserFactory, VoucherFactory, buyable_variant

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ada Lovelace",
    "phone": "+44 20 7946 0000",
    "line1": "12 Analytical Row",
    "line2": "",
    "city": "London",
    "region": "",
    "postal_code": "N1 7GU",
    "country": "gb",
}


@pytest.fixture(autouse=True)
def shop(settings):
    settings.MALLKIT_TAX_RATE = "0"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    settings.MALLKIT_CURRENCY = "USD"
    ShippingMethodFactory(code="standard", price=Decimal("5.00"), free_above=Decimal("100.00"))


def place(items, **kwargs):
    defaults = {
        "email": "ada@example.com",
        "shipping_address": ADDRESS,
        "shipping_method_code": "standard",
        "payment_method": "cod",
    }
    defaults.update(kwargs)
    return services.place_order(items=items, **defaults)


def test_place_order_snapshots_lines_takes_stock_and_opens_payment():
    shirt = buyable_variant(price="30.00", stock=5, name="Linen Shirt")
    mug = buyable_variant(price="12.50", stock=3, name="Mug")
    customer = UserFactory()

    order = place({shirt.pk: 2, mug.pk: 1}, customer=customer, payment_method="bank_transfer")

    assert order.number.startswith("MK-") and len(order.number) == 10
    assert (order.subtotal, order.shipping, order.total) == (
        Decimal("72.50"),
        Decimal("5.00"),
        Decimal("77.50"),
    )
    assert order.status == Order.Status.PENDING
    assert order.payment_status == Order.PaymentStatus.UNPAID
    assert order.fulfilment_status == Order.FulfilmentStatus.UNFULFILLED
    assert order.customer == customer
    assert order.shipping_address["country"] == "GB"
    assert order.expires_at is None  # bank transfers wait for staff, they do not expire
    lines = list(order.lines.order_by("sku"))
    assert [(x.product_name, x.quantity, x.unit_price, x.total) for x in lines] == sorted(
        [
            ("Linen Shirt", 2, Decimal("30.00"), Decimal("60.00")),
            ("Mug", 1, Decimal("12.50"), Decimal("12.50")),
        ],
        key=lambda r: r[0],
    )
    assert StockLevel.objects.get(variant=shirt).allocated == 2
    assert StockLevel.objects.get(variant=mug).allocated == 1
    payment = Payment.objects.get(order=order)
    assert (payment.gateway, payment.amount, payment.status) == (
        "bank_transfer",
        Decimal("77.50"),
        "pending",
    )
    assert list(order.events.values_list("type", flat=True)) == [OrderEvent.Type.PLACED]


def test_cash_on_delivery_orders_are_confirmed_for_packing():
    variant = buyable_variant()
    order = place({variant.pk: 1}, payment_method="cod")
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_status == Order.PaymentStatus.UNPAID


def test_online_orders_expire(settings):
    settings.MALLKIT_UNPAID_ORDER_MINUTES = 30
    variant = buyable_variant()
    order = place({variant.pk: 1}, payment_method="sandbox")
    assert order.status == Order.Status.PENDING
    assert order.expires_at is not None


def test_short_stock_creates_nothing_and_names_every_short_line():
    plenty = buyable_variant(stock=10)
    short = buyable_variant(stock=1)
    empty = buyable_variant(stock=0)

    with pytest.raises(InsufficientStock) as error:
        place({plenty.pk: 2, short.pk: 3, empty.pk: 1})

    missing = {(s.variant_id, s.missing) for s in error.value.shortages}
    assert missing == {(short.pk, 2), (empty.pk, 1)}
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert Payment.objects.count() == 0
    assert StockLevel.objects.aggregate(n=Sum("allocated"))["n"] == 0


def test_same_idempotency_key_returns_the_same_order():
    variant = buyable_variant(stock=10)
    customer = UserFactory()

    first = place({variant.pk: 1}, customer=customer, idempotency_key="abc")
    second = place({variant.pk: 1}, customer=customer, idempotency_key="abc")
    other = place({variant.pk: 1}, customer=customer, idempotency_key="xyz")

    assert first.pk == second.pk != other.pk
    assert StockLevel.objects.get(variant=variant).allocated == 2


def test_the_same_key_from_another_customer_is_a_different_order():
    variant = buyable_variant(stock=10)
    mine = place({variant.pk: 1}, customer=UserFactory(), idempotency_key="k1")
    theirs = place({variant.pk: 1}, customer=UserFactory(), idempotency_key="k1")
    assert mine.pk != theirs.pk


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"email": "not-an-email"}, ValidationFailed),
        ({"payment_method": "bitcoin"}, NotFound),
        ({"shipping_method_code": "teleport"}, ValidationFailed),
        ({"shipping_address": {**ADDRESS, "line1": ""}}, ValidationFailed),
        ({"shipping_address": {**ADDRESS, "country": "Britain"}}, ValidationFailed),
        ({"voucher_code": "NOPE"}, VoucherNotValid),
    ],
)
def test_bad_choices_are_refused_and_nothing_is_written(changes, error):
    variant = buyable_variant()
    with pytest.raises(error):
        place({variant.pk: 1}, **changes)
    assert Order.objects.count() == 0
    assert StockLevel.objects.get(variant=variant).allocated == 0


@pytest.mark.parametrize("quantity", [0, -1, 10**9, 1.5, "x", True])
def test_bad_quantities_are_refused(quantity):
    variant = buyable_variant()
    with pytest.raises(ValidationFailed):
        place({variant.pk: quantity})
    assert Order.objects.count() == 0


def test_products_no_longer_sold_cannot_be_ordered():
    variant = buyable_variant(status="archived")
    with pytest.raises(ValidationFailed) as error:
        place({variant.pk: 1})
    assert error.value.code == "not_sold"


def test_shipping_limited_to_countries():
    ShippingMethodFactory(code="us-only", countries="US,CA")
    variant = buyable_variant()
    with pytest.raises(ValidationFailed) as error:
        place({variant.pk: 1}, shipping_method_code="us-only")
    assert error.value.code == "shipping_not_available"
    order = place(
        {variant.pk: 1},
        shipping_method_code="us-only",
        shipping_address={**ADDRESS, "country": "ca"},
    )
    assert order.shipping_method_code == "us-only"


def test_voucher_discount_minimum_spend_and_per_customer_limit():
    variant = buyable_variant(price="40.00", stock=10)
    VoucherFactory(
        code="TENOFF",
        kind="fixed",
        value=Decimal("10.00"),
        minimum_spend=Decimal("50.00"),
        per_customer_limit=1,
    )

    with pytest.raises(VoucherNotValid):
        place({variant.pk: 1}, voucher_code="tenoff")
    order = place({variant.pk: 2}, voucher_code="tenoff")
    assert (order.discount, order.total) == (Decimal("10.00"), Decimal("75.00"))
    with pytest.raises(VoucherUsedUp):
        place({variant.pk: 2}, voucher_code="TENOFF")
    assert Voucher.objects.get(code="TENOFF").times_used == 1


def test_client_prices_are_never_used():
    variant = buyable_variant(price="99.00")
    order = place({variant.pk: 1})
    assert order.lines.get().unit_price == Decimal("99.00")


@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_for_five_units_give_five_orders():
    ShippingMethodFactory(code="standard")
    variant = buyable_variant(stock=5)

    outcomes = run_concurrently(
        lambda n: place({variant.pk: 1}, email=f"buyer{n}@example.com"),
        [(n,) for n in range(50)],
    )

    orders = [result for result, error in outcomes if error is None]
    errors = [error for _, error in outcomes if error is not None]
    assert len(orders) == 5
    assert len(errors) == 45
    assert all(isinstance(error, InsufficientStock) for error in errors), errors[:3]
    stock = StockLevel.objects.get(variant=variant)
    assert (stock.on_hand, stock.allocated) == (5, 5)
    assert Order.objects.count() == 5
    assert OrderLine.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_opposite_baskets_do_not_deadlock():
    ShippingMethodFactory(code="standard")
    a = buyable_variant(stock=100)
    b = buyable_variant(stock=100)
    baskets = [({a.pk: 1, b.pk: 2},) if n % 2 else ({b.pk: 2, a.pk: 1},) for n in range(8)]

    outcomes = run_concurrently(lambda items: place(items), baskets)

    assert [error for _, error in outcomes if error] == []
    assert StockLevel.objects.get(variant=a).allocated == 8
    assert StockLevel.objects.get(variant=b).allocated == 16


@pytest.mark.django_db(transaction=True)
def test_voucher_limited_to_three_uses_under_twenty_checkouts():
    ShippingMethodFactory(code="standard")
    variant = buyable_variant(stock=100)
    VoucherFactory(code="THREE", usage_limit=3)

    outcomes = run_concurrently(
        lambda n: place({variant.pk: 1}, voucher_code="THREE", email=f"v{n}@example.com"),
        [(n,) for n in range(20)],
    )

    assert len([r for r, e in outcomes if e is None]) == 3
    assert all(isinstance(e, VoucherUsedUp) for _, e in outcomes if e is not None)
    assert Voucher.objects.get(code="THREE").times_used == 3
    assert VoucherRedemption.objects.count() == 3
    assert StockLevel.objects.get(variant=variant).allocated == 3


@pytest.mark.django_db(transaction=True)
def test_a_retried_request_racing_itself_creates_one_order():
    ShippingMethodFactory(code="standard")
    variant = buyable_variant(stock=10)
    customer = UserFactory()

    outcomes = run_concurrently(
        lambda: place({variant.pk: 1}, customer=customer, idempotency_key="double-click"),
        [()] * 6,
    )

    assert [e for _, e in outcomes if e] == []
    assert len({order.pk for order, _ in outcomes}) == 1
    assert StockLevel.objects.get(variant=variant).allocated == 1


def test_a_taken_order_number_is_drawn_again_and_nothing_is_written_twice(monkeypatch):
    from mallkit.orders import services as order_services

    variant = buyable_variant(stock=10)
    first = place({variant.pk: 1})
    numbers = iter([first.number, "MK-FRESH22"])
    monkeypatch.setattr(order_services, "new_order_number", lambda: next(numbers))

    second = place({variant.pk: 2}, idempotency_key="retry-after-collision")

    assert second.number == "MK-FRESH22"
    assert Order.objects.count() == 2
    assert StockLevel.objects.get(variant=variant).allocated == 3
    assert Payment.objects.count() == 2
    assert list(second.events.values_list("type", flat=True)) == [
        OrderEvent.Type.PLACED,
        OrderEvent.Type.CONFIRMED,
    ]


def test_a_replay_after_the_cart_was_emptied_answers_the_first_order():
    variant = buyable_variant(stock=10)
    customer = UserFactory()
    first = place({variant.pk: 1}, customer=customer, idempotency_key="emptied")

    # The cart is empty by the time the client retries: the replay is found on the failure.
    again = place({}, customer=customer, idempotency_key="emptied")

    assert again.pk == first.pk
    with pytest.raises(services.EmptyCart):
        place({}, customer=customer, idempotency_key="another-key")
