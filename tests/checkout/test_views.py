"""The checkout pages and the shopper's order pages, driven through the test client."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mallkit.accounts.models import Address
from mallkit.cart.models import CartLine
from mallkit.checkout import services as checkout
from mallkit.inventory.models import StockLevel
from mallkit.orders import selectors as order_selectors
from mallkit.orders.models import Order
from mallkit.payments import services as payments
from mallkit.payments.models import Payment, PaymentTransaction
from tests.factories import (
    AddressFactory,
    ShippingMethodFactory,
    UserFactory,
    VoucherFactory,
    buyable_variant,
)

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ada Lovelace",
    "phone": "+44 20 7946 0000",
    "line1": "12 Analytical Row",
    "line2": "",
    "city": "London",
    "region": "",
    "postal_code": "N1 7GU",
    "country": "GB",
}


@pytest.fixture(autouse=True)
def shop(settings):
    settings.MALLKIT_MODE = "shop"
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_TAX_RATE = "10"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    settings.MALLKIT_SHOP_EMAIL = "help@example.com"
    ShippingMethodFactory(
        code="standard",
        name="Standard delivery",
        price=Decimal("5.00"),
        free_above=Decimal("100.00"),
    )
    ShippingMethodFactory(
        code="china-express", name="China express", price=Decimal("9.00"), countries="CN"
    )


@pytest.fixture
def shirt():
    return buyable_variant(price="30.00", stock=10, name="Linen Shirt", sku="SHIRT-1")


@pytest.fixture
def mug():
    return buyable_variant(price="12.50", stock=10, name="Stone Mug", sku="MUG-1")


@pytest.fixture
def member(client):
    user = UserFactory(email="grace@example.com")
    client.force_login(user)
    return user


def add(client, variant, quantity):
    response = client.post(reverse("cart:add"), {"sku": variant.sku, "quantity": str(quantity)})
    assert response.status_code == 302


def fill_in_checkout(client, *, address=None, shipping="standard", payment="bank_transfer"):
    """Walk the address, delivery and payment steps; returns the review page's response."""
    data = {"email": "ada@example.com", **(address or ADDRESS)}
    response = client.post(reverse("checkout:start"), data)
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("checkout:shipping")
    response = client.post(reverse("checkout:shipping"), {"method": shipping})
    assert response["Location"] == reverse("checkout:payment")
    response = client.post(reverse("checkout:payment"), {"method": payment})
    assert response["Location"] == reverse("checkout:review")
    return client.get(reverse("checkout:review"))


def token_of(review) -> str:
    return review.context["place_form"]["token"].value()


def place(client, token, **extra):
    return client.post(reverse("checkout:place"), {"token": token, "note": "", **extra})


def text(response) -> str:
    return response.content.decode()


# The whole flow -----------------------------------------------------------------------------------


def test_a_guest_buys_with_a_voucher_and_pays_by_bank_transfer(
    client, shirt, mug, django_capture_on_commit_callbacks
):
    VoucherFactory(code="SAVE10", kind="percentage", value=Decimal("10"))
    add(client, shirt, 2)
    add(client, mug, 1)

    review = fill_in_checkout(client)
    applied = client.post(reverse("checkout:voucher"), {"code": "save10", "action": "apply"})
    assert applied["Location"] == reverse("checkout:review")
    review = client.get(reverse("checkout:review"))
    page = text(review)

    # 72.50 goods; 10% off is 7.25, shared 6.00 / 1.25; tax 10% on 54.00 and 11.25 (5.40 and
    # 1.13) and on the 5.00 shipping (0.50), since 65.25 is under the 100.00 for free shipping.
    assert "Voucher SAVE10 applied: you save $7.25." in page
    for amount in ["$72.50", "−$7.25", "$5.00", "$7.03", "$77.28"]:
        assert amount in page, amount
    assert "Place order · $77.28" in page

    with django_capture_on_commit_callbacks(execute=True):
        placed = place(client, token_of(review), note="Ring twice")

    order = Order.objects.get()
    assert (order.subtotal, order.discount, order.shipping, order.tax, order.total) == (
        Decimal("72.50"),
        Decimal("7.25"),
        Decimal("5.00"),
        Decimal("7.03"),
        Decimal("77.28"),
    )
    assert (order.email, order.customer, order.voucher_code) == ("ada@example.com", None, "SAVE10")
    assert (order.payment_method, order.shipping_method_code) == ("bank_transfer", "standard")
    assert order.customer_note == "Ring twice"
    assert order.shipping_address["postal_code"] == "N1 7GU"
    url = urlsplit(placed["Location"])
    assert url.path == reverse("checkout:complete", kwargs={"number": order.number})
    assert parse_qs(url.query)["token"] == [order_selectors.order_link_token(order=order)]
    assert not CartLine.objects.exists()
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert order.number in mail.outbox[0].subject

    confirmation = client.get(placed["Location"])
    page = text(confirmation)
    assert confirmation.status_code == 200
    assert order.number in page
    assert "How to pay" in page
    assert "Please transfer 77.28 USD" in page
    assert "Awaiting payment" in page and "Unpaid" in page


def test_a_member_uses_the_address_book_and_ships_free_above_the_threshold(client, member, shirt):
    AddressFactory(user=member, full_name="Grace Hopper", is_default_shipping=True)
    add(client, shirt, 4)

    form = client.get(reverse("checkout:start"))
    assert "Grace Hopper" in text(form)
    book = Address.objects.get(user=member)
    response = client.post(reverse("checkout:start"), {"address_choice": str(book.pk)})
    assert response["Location"] == reverse("checkout:shipping")
    client.post(reverse("checkout:shipping"), {"method": "standard"})
    client.post(reverse("checkout:payment"), {"method": "cod"})
    review = client.get(reverse("checkout:review"))
    assert "Free" in text(review)

    placed = place(client, token_of(review))

    order = Order.objects.get()
    # 120.00 of goods reach the 100.00 for free shipping; 10% tax on the goods only.
    assert (order.subtotal, order.shipping, order.tax, order.total) == (
        Decimal("120.00"),
        Decimal("0.00"),
        Decimal("12.00"),
        Decimal("132.00"),
    )
    assert (order.customer, order.email) == (member, "grace@example.com")
    assert order.shipping_address["full_name"] == "Grace Hopper"
    assert order.status == Order.Status.CONFIRMED  # cash on delivery is packed unpaid
    page = text(client.get(placed["Location"]))
    assert "Please have 132.00 USD ready when your parcel arrives." in page
    assert "See this order in your account" in page


def test_a_member_saves_a_new_address_to_the_book(client, member, shirt):
    add(client, shirt, 1)
    form = client.get(reverse("checkout:start"))
    # A member's first address is offered for the book.
    assert form.context["form"]["save_address"].value() is True

    client.post(reverse("checkout:start"), {**ADDRESS, "save_address": "on"})

    saved = Address.objects.get(user=member)
    assert (saved.full_name, saved.postal_code, saved.country) == ("Ada Lovelace", "N1 7GU", "GB")
    assert client.session["mallkit_checkout"]["address_id"] == saved.pk


def test_address_errors_are_shown_by_field_and_nothing_is_kept(client, shirt):
    add(client, shirt, 1)
    response = client.post(
        reverse("checkout:start"),
        {"email": "not-an-email", **ADDRESS, "line1": "", "country": ""},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"email", "line1", "country"}
    assert "mallkit_checkout" not in client.session


def test_another_members_address_cannot_be_chosen(client, member, shirt):
    mine = AddressFactory(user=member)
    theirs = AddressFactory(user=UserFactory())
    add(client, shirt, 1)
    response = client.post(reverse("checkout:start"), {"address_choice": str(theirs.pk)})
    assert response.status_code == 400
    assert "address_choice" in response.context["form"].errors
    assert mine.pk != theirs.pk


def test_only_methods_serving_the_address_are_offered(client, shirt):
    add(client, shirt, 1)
    client.post(reverse("checkout:start"), {"email": "ada@example.com", **ADDRESS})

    page = client.get(reverse("checkout:shipping"))

    assert [method.code for method in page.context["methods"]] == ["standard"]
    assert "Free on orders of $100.00 or more" in text(page)
    refused = client.post(reverse("checkout:shipping"), {"method": "china-express"})
    assert refused.status_code == 400
    assert "shipping_method" not in client.session["mallkit_checkout"]


def test_payment_methods_are_the_enabled_gateways(client, shirt):
    add(client, shirt, 1)
    client.post(reverse("checkout:start"), {"email": "ada@example.com", **ADDRESS})
    client.post(reverse("checkout:shipping"), {"method": "standard"})
    page = client.get(reverse("checkout:payment"))
    assert [method.code for method in page.context["methods"]] == [
        "cod",
        "bank_transfer",
        "sandbox",
    ]


def test_steps_cannot_be_skipped(client, shirt):
    add(client, shirt, 1)
    assert client.get(reverse("checkout:review"))["Location"] == reverse("checkout:start")
    assert client.get(reverse("checkout:payment"))["Location"] == reverse("checkout:start")
    client.post(reverse("checkout:start"), {"email": "ada@example.com", **ADDRESS})
    assert client.get(reverse("checkout:review"))["Location"] == reverse("checkout:shipping")


def test_an_empty_cart_goes_back_to_the_cart(client):
    response = client.get(reverse("checkout:start"))
    assert response["Location"] == reverse("cart:detail")


def test_a_bad_voucher_says_why_and_changes_nothing(client, shirt):
    add(client, shirt, 1)
    fill_in_checkout(client)
    response = client.post(
        reverse("checkout:voucher"), {"code": "NOPE", "action": "apply"}, follow=True
    )
    assert "This voucher code is not valid." in text(response)
    assert "voucher_code" not in client.session["mallkit_checkout"]


def test_a_voucher_can_be_removed(client, shirt):
    VoucherFactory(code="SAVE10")
    add(client, shirt, 1)
    fill_in_checkout(client)
    client.post(reverse("checkout:voucher"), {"code": "SAVE10", "action": "apply"})
    response = client.post(
        reverse("checkout:voucher"), {"code": "", "action": "remove"}, follow=True
    )
    assert "The voucher was removed." in text(response)
    assert response.context["totals"].discount == Decimal("0.00")


def test_prices_sent_by_the_browser_are_ignored(client, shirt):
    add(client, shirt, 1)
    review = fill_in_checkout(client)
    place(client, token_of(review), total="0.01", unit_price="0.01", shipping="0")
    assert Order.objects.get().total == Decimal("38.50")  # 30 + 5 shipping + 10% tax on both


# One order per review, whatever is resent ---------------------------------------------------------


def test_a_double_post_places_one_order(client, shirt):
    add(client, shirt, 1)
    token = token_of(fill_in_checkout(client))

    first = place(client, token)
    second = place(client, token)

    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert StockLevel.objects.get(variant=shirt).allocated == 1
    assert PaymentTransaction.objects.filter(kind="start").count() == 1


def test_a_resent_place_request_without_its_session_record_finds_the_same_order(client, shirt):
    """The session forgets the placed token (two racing requests): the idempotency key holds."""
    add(client, shirt, 1)
    token = token_of(fill_in_checkout(client))
    state = client.session["mallkit_checkout"]

    place(client, token)
    session = client.session
    session["mallkit_checkout"] = state
    session.pop("mallkit_checkout_placed")
    session.save()
    again = place(client, token)

    order = Order.objects.get()
    assert urlsplit(again["Location"]).path == reverse(
        "checkout:complete", kwargs={"number": order.number}
    )


def test_a_token_not_issued_by_a_review_places_nothing(client, shirt):
    add(client, shirt, 1)
    fill_in_checkout(client)
    response = place(client, "made-up-token")
    assert response["Location"] == reverse("checkout:review")
    assert not Order.objects.exists()


def test_an_online_payment_sends_the_shopper_to_the_payment_page(client, shirt):
    add(client, shirt, 1)
    review = fill_in_checkout(client, payment="sandbox")

    placed = place(client, token_of(review))

    order = Order.objects.get()
    payment = Payment.objects.get(order=order)
    assert placed["Location"] == payment.redirect_url
    assert placed["Location"].startswith(f"/sandbox/pay/{payment.reference}/")
    back = parse_qs(urlsplit(placed["Location"]).query)["return_url"][0]
    assert back == (
        reverse("checkout:complete", kwargs={"number": order.number})
        + "?token="
        + order_selectors.order_link_token(order=order)
    )


# Short stock --------------------------------------------------------------------------------------


def test_short_stock_names_the_lines_and_places_nothing(client, shirt, mug):
    add(client, shirt, 3)
    add(client, mug, 2)
    review = fill_in_checkout(client)
    StockLevel.objects.filter(variant=shirt).update(on_hand=1)

    response = place(client, token_of(review))

    page = text(response)
    assert response.status_code == 409
    assert "Linen Shirt" in page and "Stone Mug" not in page
    assert "You asked for 3; only 1 is left (2 short)." in page
    assert reverse("cart:detail") in page
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    assert CartLine.objects.count() == 2
    assert StockLevel.objects.get(variant=shirt).allocated == 0


# The confirmation page's payment states -----------------------------------------------------------


def sandbox_order(client, shirt):
    add(client, shirt, 1)
    place(client, token_of(fill_in_checkout(client, payment="sandbox")))
    order = Order.objects.get()
    return order, Payment.objects.get(order=order)


def confirmation(client, order):
    url = reverse("checkout:complete", kwargs={"number": order.number})
    return client.get(url, {"token": order_selectors.order_link_token(order=order)})


def test_the_confirmation_waits_for_the_payment_then_shows_it_paid(client, shirt):
    order, payment = sandbox_order(client, shirt)

    waiting = text(confirmation(client, order))
    assert "Waiting for payment confirmation" in waiting
    assert 'hx-trigger="every 3s"' in waiting
    assert payment.redirect_url.replace("&", "&amp;") in waiting

    payments.record_success(payment=payment, amount=payment.amount, currency=payment.currency)

    paid = text(confirmation(client, order))
    assert '<h2 class="payment-status__title">Paid</h2>' in paid
    assert "hx-trigger" not in paid


def test_a_failed_payment_offers_to_try_again(client, shirt):
    order, payment = sandbox_order(client, shirt)
    payments.record_failure(payment=payment, message="Card declined")

    page = text(confirmation(client, order))

    assert "Payment failed — try again" in page
    assert f'href="{payment.redirect_url.replace("&", "&amp;")}"' in page
    assert "help@example.com" in page


# Who may see an order -----------------------------------------------------------------------------


def place_directly(*, customer=None, email="ada@example.com", payment_method="bank_transfer"):
    variant = buyable_variant(price="20.00", stock=5)
    return checkout.place_order(
        items={variant.pk: 1},
        email=email,
        shipping_address=ADDRESS,
        shipping_method_code="standard",
        payment_method=payment_method,
        customer=customer,
    )


def test_another_members_order_and_confirmation_answer_404(client, member):
    theirs = place_directly(customer=UserFactory())
    mine = place_directly(customer=member)

    assert client.get(mine.get_absolute_url()).status_code == 200
    complete = reverse("checkout:complete", kwargs={"number": mine.number})
    assert client.get(complete).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    theirs_complete = reverse("checkout:complete", kwargs={"number": theirs.number})
    assert client.get(theirs_complete).status_code == 404
    assert client.get(reverse("storefront:order_by_link", args=[theirs.number])).status_code == 404
    missing = reverse("storefront:order_detail", kwargs={"number": "MK-NOPE123"})
    assert client.get(missing).status_code == 404


def test_a_guest_sees_their_order_through_the_signed_link_only(client):
    order = place_directly()
    token = order_selectors.order_link_token(order=order)
    url = reverse("storefront:order_by_link", kwargs={"number": order.number})

    page = client.get(url, {"token": token})
    assert page.status_code == 200
    assert order.number in text(page) and "How to pay" in text(page)

    assert client.get(url).status_code == 404
    assert (
        client.get(url, {"token": token[:-1] + ("A" if token[-1] != "A" else "B")}).status_code
        == 404
    )
    other = place_directly(email="someone@example.com")
    other_url = reverse("storefront:order_by_link", kwargs={"number": other.number})
    assert client.get(other_url, {"token": token}).status_code == 404
    complete = reverse("checkout:complete", kwargs={"number": order.number})
    assert client.get(complete, {"token": "forged"}).status_code == 404
    assert client.get(complete, {"token": token}).status_code == 200


def test_order_pages_need_a_signed_in_member(client):
    order = place_directly(customer=UserFactory())
    response = client.get(order.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# Showcase mode ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["start", "shipping", "payment", "review"])
def test_a_showcase_has_no_checkout(client, settings, name):
    settings.MALLKIT_MODE = "showcase"
    assert client.get(reverse(f"checkout:{name}")).status_code == 404


@pytest.mark.parametrize("name", ["voucher", "place"])
def test_a_showcase_takes_no_orders(client, settings, name):
    settings.MALLKIT_MODE = "showcase"
    assert client.post(reverse(f"checkout:{name}"), {"token": "x"}).status_code == 404


def test_a_showcase_has_no_confirmation(client, settings):
    order = place_directly()
    settings.MALLKIT_MODE = "showcase"
    url = reverse("checkout:complete", kwargs={"number": order.number})
    token = order_selectors.order_link_token(order=order)
    assert client.get(url, {"token": token}).status_code == 404


# Order history ------------------------------------------------------------------------------------


def test_the_history_lists_the_members_orders_newest_first(client, member):
    first = place_directly(customer=member)
    second = place_directly(customer=member, payment_method="cod")
    place_directly(customer=UserFactory())

    page = client.get(reverse("accounts:orders"))

    assert [order.number for order in page.context["orders"]] == [second.number, first.number]
    content = text(page)
    for snippet in [first.number, "$27.50", "Awaiting payment", "Confirmed", "Unpaid"]:
        assert snippet in content, snippet
    overview = client.get(reverse("accounts:overview"))
    assert second.number in text(overview)


def test_the_order_page_shows_lines_totals_address_instructions_and_timeline(client, member):
    order = place_directly(customer=member)

    page = text(client.get(order.get_absolute_url()))

    line = order.lines.get()
    for snippet in [
        line.product_name,
        f"SKU {line.sku}",
        "$20.00",  # price and line total
        "$5.00",  # shipping
        "$2.50",  # tax
        "$27.50",  # total
        "12 Analytical Row",
        "United Kingdom",
        "Standard delivery",
        "How to pay",
        "Order placed",
    ]:
        assert snippet in page, snippet


def query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_history_reads_a_fixed_number_of_queries(client, member):
    for _ in range(2):
        place_directly(customer=member)
    few = query_count(client, reverse("accounts:orders"))
    for _ in range(6):
        place_directly(customer=member)
    assert query_count(client, reverse("accounts:orders")) == few


def test_the_order_page_reads_a_fixed_number_of_queries(client, member):
    small = place_directly(customer=member)
    variants = [buyable_variant(price="3.00", stock=5) for _ in range(6)]
    large = checkout.place_order(
        items={variant.pk: 2 for variant in variants},
        email=member.email,
        shipping_address=ADDRESS,
        shipping_method_code="standard",
        payment_method="sandbox",
        customer=member,
    )
    payments.start_payment(payment=Payment.objects.get(order=large))

    assert query_count(client, large.get_absolute_url()) == query_count(
        client, small.get_absolute_url()
    )


def test_a_members_confirmation_opens_through_their_session_only(client, member, shirt):
    add(client, shirt, 1)
    placed = place(client, token_of(fill_in_checkout(client)))

    order = Order.objects.get()
    assert placed["Location"] == reverse("checkout:complete", kwargs={"number": order.number})
    assert client.get(placed["Location"]).status_code == 200
    client.logout()
    assert client.get(placed["Location"]).status_code == 404
