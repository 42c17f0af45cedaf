"""The issue's journey in Debian's chromium: buy two products with the sandbox card, come back
paid, find the order in the account. Screenshots of every step, at desktop and phone sizes, go
to /tmp/shots/checkout-*.png."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from mallkit.checkout import services as checkout
from mallkit.checkout.flow import confirmation_path
from mallkit.inventory.models import StockLevel
from mallkit.orders.models import Order
from mallkit.payments import services as payments
from mallkit.payments.models import Payment
from tests.factories import ShippingMethodFactory, UserFactory, VoucherFactory, buyable_variant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def shop(settings):
    settings.MALLKIT_MODE = "shop"
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_TAX_RATE = "8"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def shoot(page, name):
    """A full-page screenshot at desktop size, then at phone size, then back to desktop."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
        page.set_viewport_size(viewport)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"checkout-{name}-{size}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def test_buy_two_products_with_the_sandbox_card_and_find_the_order(page, live_server):
    ShippingMethodFactory(
        code="standard",
        name="Standard delivery",
        description="Three to five working days",
        price=Decimal("5.00"),
        free_above=Decimal("150.00"),
    )
    ShippingMethodFactory(
        code="express", name="Express delivery", price=Decimal("12.00"), position=1
    )
    VoucherFactory(code="WELCOME10", kind="percentage", value=Decimal("10"))
    teapot = buyable_variant(price="29.90", stock=12, name="Stoneware Teapot")
    mug = buyable_variant(price="12.50", stock=40, name="Ceramic Mug")
    member = UserFactory(email="grace@example.com", full_name="Grace Hopper")
    member.set_password(PASSWORD)
    member.save()

    page.goto("/account/login/")
    page.fill("input[name=login]", member.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/account/$"))

    # Two products into the cart.
    page.goto(teapot.product.get_absolute_url())
    page.locator(".product-add input[name=quantity]").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("“Stoneware Teapot” is in your cart.").wait_for()
    page.goto(mug.product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("“Ceramic Mug” is in your cart.").wait_for()

    page.goto("/cart/")
    page.get_by_role("link", name="Check out").click()

    # 1. Address: a member's first address, kept in the book.
    page.wait_for_url(re.compile(r"/checkout/$"))
    page.fill("input[name=full_name]", "Grace Hopper")
    page.fill("input[name=phone]", "+1 212 555 0100")
    page.fill("input[name=line1]", "1 Main Street")
    page.fill("input[name=city]", "New York")
    page.fill("input[name=region]", "NY")
    page.fill("input[name=postal_code]", "10001")
    page.select_option("select[name=country]", "US")
    assert page.get_by_label("Save to my address book").is_checked()
    shoot(page, "1-address")
    page.get_by_role("button", name="Continue to delivery").click()

    # 2. Delivery, with prices.
    page.wait_for_url(re.compile(r"/checkout/shipping/$"))
    page.get_by_text("Free on orders of $150.00 or more").wait_for()
    shoot(page, "2-shipping")
    page.get_by_label("Standard delivery").check()
    page.get_by_role("button", name="Continue to payment").click()

    # 3. Payment.
    page.wait_for_url(re.compile(r"/checkout/payment/$"))
    shoot(page, "3-payment")
    page.get_by_label("Card (sandbox)").check()
    page.get_by_role("button", name="Review your order").click()

    # 4. Review, with a voucher: 72.30 goods, 7.23 off, 5.00 shipping, 8% tax 5.61, 75.68.
    page.wait_for_url(re.compile(r"/checkout/review/$"))
    page.get_by_label("Voucher code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Voucher WELCOME10 applied: you save $7.23.").wait_for()
    shoot(page, "4-review")
    place = page.get_by_role("button", name="Place order · $75.68")
    place.click()

    # The sandbox's hosted page, paid with the card that succeeds.
    page.wait_for_url(re.compile(r"/sandbox/pay/"))
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date").fill(f"12 / {(date.today().year + 2) % 100:02d}")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay 75.68 USD").click()

    # Back in the shop, paid.
    page.wait_for_url(re.compile(r"/checkout/complete/"))
    page.get_by_role("heading", name="Paid", exact=True).wait_for()
    order = Order.objects.get()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert (order.customer, order.total) == (member, Decimal("75.68"))
    assert sorted(order.lines.values_list("product_name", "quantity")) == [
        ("Ceramic Mug", 1),
        ("Stoneware Teapot", 2),
    ]
    assert page.get_by_text(order.number).first.is_visible()
    shoot(page, "5-complete")

    # The order in the account.
    page.get_by_role("link", name="See this order in your account").click()
    page.goto("/account/orders/")
    shoot(page, "6-history")
    page.get_by_role("link", name=order.number).click()
    page.wait_for_url(re.compile(rf"/account/orders/{order.number}/$"))
    page.get_by_role("heading", name=f"Order {order.number}").wait_for()
    assert page.get_by_text("Stoneware Teapot").is_visible()
    assert page.locator(".order-facts").get_by_text("Paid").is_visible()
    shoot(page, "7-order")
    assert page.locator(".cart-count").first.inner_text().split()[-1] == "0"


def test_a_guest_pays_by_bank_transfer_and_sees_the_instructions(page, live_server):
    ShippingMethodFactory(code="standard", name="Standard delivery", price=Decimal("5.00"))
    lamp = buyable_variant(price="45.00", stock=3, name="Brass Lamp")

    page.goto(lamp.product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("“Brass Lamp” is in your cart.").wait_for()
    page.goto("/checkout/")
    page.get_by_role("button", name="Continue to delivery").click()
    # Nothing filled in: every missing field says so.
    page.get_by_text("Enter a valid email address.").or_(
        page.get_by_text("This field is required.").first
    ).first.wait_for()
    shoot(page, "guest-1-errors")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=full_name]", "Ada Lovelace")
    page.fill("input[name=line1]", "12 Analytical Row")
    page.fill("input[name=city]", "London")
    page.fill("input[name=postal_code]", "N1 7GU")
    page.select_option("select[name=country]", "GB")
    page.get_by_role("button", name="Continue to delivery").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name="Review your order").click()
    page.get_by_role("button", name=re.compile("Place order")).click()

    page.wait_for_url(re.compile(r"/checkout/complete/.+\?token="))
    page.get_by_role("heading", name="How to pay").wait_for()
    assert page.get_by_text("Please transfer 54.00 USD").is_visible()  # 45 + 5, plus 8% tax
    shoot(page, "guest-2-complete")


def fill_guest_address(page):
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=full_name]", "Ada Lovelace")
    page.fill("input[name=line1]", "12 Analytical Row")
    page.fill("input[name=city]", "London")
    page.fill("input[name=postal_code]", "N1 7GU")
    page.select_option("select[name=country]", "GB")
    page.get_by_role("button", name="Continue to delivery").click()


def test_a_declined_card_can_be_tried_again_from_the_confirmation(page, live_server):
    ShippingMethodFactory(code="standard", name="Standard delivery", price=Decimal("5.00"))
    lamp = buyable_variant(price="45.00", stock=3, name="Brass Lamp")
    page.goto(lamp.product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("“Brass Lamp” is in your cart.").wait_for()
    page.goto("/checkout/")
    fill_guest_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Card (sandbox)").check()
    page.get_by_role("button", name="Review your order").click()
    page.get_by_role("button", name="Place order · $54.00").click()

    page.wait_for_url(re.compile(r"/sandbox/pay/"))
    expiry = f"12 / {(date.today().year + 2) % 100:02d}"
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry date").fill(expiry)
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay 54.00 USD").click()
    page.get_by_role("alert").get_by_text("Your card was declined.").wait_for()

    # The shopper goes back to the shop: the order waits, and says the payment failed.
    order = Order.objects.get()
    page.goto(confirmation_path(order))
    page.get_by_role("heading", name="Payment failed — try again").wait_for()
    shoot(page, "failed")
    page.get_by_role("link", name="Try again").click()

    page.wait_for_url(re.compile(r"/sandbox/pay/"))
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date").fill(expiry)
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay 54.00 USD").click()
    page.wait_for_url(re.compile(r"/checkout/complete/"))
    page.get_by_role("heading", name="Paid", exact=True).wait_for()
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


def test_short_stock_is_explained_line_by_line(page, live_server):
    ShippingMethodFactory(code="standard", name="Standard delivery", price=Decimal("5.00"))
    lamp = buyable_variant(price="45.00", stock=5, name="Brass Lamp")
    page.goto(lamp.product.get_absolute_url())
    page.locator(".product-add input[name=quantity]").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("“Brass Lamp” is in your cart.").wait_for()
    page.goto("/checkout/")
    fill_guest_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Review your order").click()
    StockLevel.objects.filter(variant=lamp).update(on_hand=1)
    page.get_by_role("button", name=re.compile("Place order")).click()

    page.get_by_text("You asked for 3; only 1 is left (2 short).").wait_for()
    shoot(page, "short-stock")
    assert not Order.objects.exists()
    page.get_by_role("link", name="Go to your cart").click()
    page.wait_for_url(re.compile(r"/cart/$"))


def test_the_confirmation_notices_the_payment_without_a_reload(page, live_server):
    ShippingMethodFactory(code="standard", name="Standard delivery", price=Decimal("5.00"))
    lamp = buyable_variant(price="45.00", stock=3, name="Brass Lamp")
    order = checkout.place_order(
        items={lamp.pk: 1},
        email="ada@example.com",
        shipping_address={
            "full_name": "Ada Lovelace",
            "line1": "12 Analytical Row",
            "city": "London",
            "postal_code": "N1 7GU",
            "country": "GB",
        },
        shipping_method_code="standard",
        payment_method="sandbox",
    )
    payment = payments.start_payment(payment=Payment.objects.get(order=order))

    page.goto(confirmation_path(order))
    page.get_by_role("heading", name="Waiting for payment confirmation").wait_for()
    shoot(page, "waiting")
    payments.record_success(payment=payment, amount=payment.amount, currency=payment.currency)

    # htmx asks again every few seconds and swaps the status in place.
    page.get_by_role("heading", name="Paid", exact=True).wait_for(timeout=10_000)
    assert page.get_by_text("We have received your payment of $54.00.").is_visible()
