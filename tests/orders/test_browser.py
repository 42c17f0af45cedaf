"""The issue's journey in Debian's chromium: a customer buys with the sandbox card, the
warehouse finds the order in its queue, packs and ships it with a tracking number, and the
customer sees the parcel's status and tracking link in their account.

Screenshots of the queues, the order page, the paperwork, the dashboard and the customer's
pages go to /tmp/shots/orders-*.png for a person to look at.
"""

import mimetypes
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from mallkit.orders.models import Fulfilment, Order
from tests.backoffice.roles import make_person
from tests.factories import ProductImageFactory, ShippingMethodFactory, UserFactory, buyable_variant
from tests.production.conftest import ViolationLog

from .helpers import shop_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
PASSWORD = "correct-horse-battery"
DESKTOP = {"width": 1366, "height": 900}


def shot(page, name):
    """A full-page screenshot, once the page showed it met the Content-Security-Policy."""
    assert page.csp.collect() == [], name
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"orders-{name}.png"), full_page=True)


def serve_media(route):
    """The live server serves no uploads (DEBUG is off); read them from MEDIA_ROOT instead."""
    name = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
    path = Path(settings.MEDIA_ROOT) / name
    if not path.is_file():
        route.fulfill(status=404, body="")
        return
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    route.fulfill(status=200, body=path.read_bytes(), content_type=content_type)


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.route("**/media/**", serve_media)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.csp = ViolationLog(page)
    return page


def staff_log_in(page, email):
    page.goto("/backoffice/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/backoffice/")


def test_a_customer_buys_the_warehouse_ships_and_the_customer_follows_the_parcel(
    browser, live_server, settings
):
    shop_settings(settings)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ShippingMethodFactory(code="standard", name="Standard delivery", price=Decimal("5.00"))
    teapot = buyable_variant(price="29.90", stock=12, name="Stoneware Teapot")
    ProductImageFactory(product=teapot.product, alt="Teapot")
    mug = buyable_variant(price="12.50", stock=3, name="Ceramic Mug")
    grace = UserFactory(email="grace@example.com", full_name="Grace Hopper")
    grace.set_password(PASSWORD)
    grace.save()
    make_person("warehouse", email="wes@example.com", full_name="Wes Warehouse")
    make_person("owner", email="olivia@example.com", full_name="Olivia Owner")

    # The customer buys two teapots and a mug with the sandbox card.
    shopper = new_page(browser, live_server)
    shopper.goto("/account/login/")
    shopper.fill("input[name=login]", grace.email)
    shopper.fill("input[name=password]", PASSWORD)
    shopper.get_by_role("button", name="Sign In").click()
    shopper.wait_for_url(re.compile(r"/account/$"))
    for variant, quantity in [(teapot, "2"), (mug, "1")]:
        shopper.goto(variant.product.get_absolute_url())
        shopper.locator(".product-add input[name=quantity]").fill(quantity)
        shopper.get_by_role("button", name="Add to cart").click()
        shopper.get_by_text(f"“{variant.product.name}” is in your cart.").wait_for()
    shopper.goto("/checkout/")
    shopper.fill("input[name=full_name]", "Grace Hopper")
    shopper.fill("input[name=phone]", "+1 212 555 0100")
    shopper.fill("input[name=line1]", "1 Main Street")
    shopper.fill("input[name=city]", "New York")
    shopper.fill("input[name=region]", "NY")
    shopper.fill("input[name=postal_code]", "10001")
    shopper.select_option("select[name=country]", "US")
    shopper.get_by_role("button", name="Continue to delivery").click()
    shopper.get_by_label("Standard delivery").check()
    shopper.get_by_role("button", name="Continue to payment").click()
    shopper.get_by_label("Card (sandbox)").check()
    shopper.get_by_role("button", name="Review your order").click()
    shopper.get_by_role("button", name=re.compile("Place order")).click()
    shopper.wait_for_url(re.compile(r"/sandbox/pay/"))
    shopper.get_by_label("Card number").fill("4242 4242 4242 4242")
    shopper.get_by_label("Expiry date").fill(f"12 / {(date.today().year + 2) % 100:02d}")
    shopper.get_by_label("Security code").fill("123")
    shopper.get_by_role("button", name=re.compile("Pay 77.30 USD")).click()
    shopper.wait_for_url(re.compile(r"/checkout/complete/"))
    order = Order.objects.get()
    assert (order.status, order.payment_status, order.total) == (
        "confirmed",
        "paid",
        Decimal("77.30"),
    )

    # The warehouse lands on its "to pack" queue and finds the order there.
    warehouse = new_page(browser, live_server)
    staff_log_in(warehouse, "wes@example.com")
    warehouse.get_by_role("link", name="Orders").click()
    warehouse.wait_for_url(re.compile(r"/backoffice/orders/\?queue=to_pack$"))
    tab = warehouse.locator(".queue-tabs a.active")
    assert re.sub(r"\s+", " ", tab.inner_text()).strip() == "To pack 1"
    shot(warehouse, "queue-to-pack")
    warehouse.get_by_role("link", name=order.number).click()
    warehouse.get_by_role("heading", name=re.compile(order.number)).wait_for()
    shot(warehouse, "order-page-warehouse")

    # The paperwork: a pick list and a packing slip, printable, and as PDF.
    warehouse.goto(f"/backoffice/orders/pick-list/?orders={order.number}")
    warehouse.get_by_role("heading", name="Pick list").wait_for()
    shot(warehouse, "pick-list")
    warehouse.goto(f"/backoffice/orders/packing-slips/?orders={order.number}")
    warehouse.get_by_role("heading", name="Packing slip").wait_for()
    assert warehouse.get_by_role("button", name="Print").is_visible()  # print.js ran
    shot(warehouse, "packing-slips")
    pdf = warehouse.request.get(
        f"/backoffice/orders/packing-slips/?orders={order.number}&format=pdf"
    )
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    (SHOTS / "orders-packing-slips.pdf").write_bytes(pdf.body())

    # Packed, then shipped with DHL and a tracking number.
    warehouse.goto(f"/backoffice/orders/{order.number}/")
    warehouse.get_by_role("button", name="Mark packed").click()
    warehouse.get_by_text("Marked packed; the order waits to ship.").wait_for()
    warehouse.locator("select[name=ship-carrier]").select_option("dhl")
    warehouse.get_by_label("Tracking number").fill("JD014600000123")
    mail.outbox.clear()
    warehouse.get_by_role("button", name="Ship and e-mail the tracking link").click()
    warehouse.get_by_text(
        "Shipped with DHL; the customer is e-mailed the tracking link."
    ).wait_for()
    shot(warehouse, "order-shipped")
    parcel = Fulfilment.objects.get(order=order)
    assert (parcel.carrier, parcel.tracking_number) == ("DHL", "JD014600000123")
    assert Order.objects.get(pk=order.pk).fulfilment_status == "shipped"
    assert [message.to for message in mail.outbox] == [["grace@example.com"]]
    assert "JD014600000123" in mail.outbox[0].body
    warehouse.goto("/backoffice/orders/?queue=shipped")
    shot(warehouse, "queue-shipped")

    # The owner's dashboard and the order as customer service sees it (payments, invoice).
    boss = new_page(browser, live_server)
    staff_log_in(boss, "olivia@example.com")
    boss.get_by_role("heading", name="Sales, last 30 days").wait_for()
    assert "77.30 USD" in boss.locator(".stats").first.inner_text()
    shot(boss, "dashboard")
    boss.goto(f"/backoffice/orders/{order.number}/")
    boss.get_by_role("heading", name="Payments").wait_for()
    shot(boss, "order-page-owner")
    boss.goto(f"/backoffice/customers/{grace.pk}/")
    shot(boss, "customer")
    invoice = boss.request.get(f"/backoffice/orders/{order.number}/invoice.pdf")
    assert invoice.body().startswith(b"%PDF")
    (SHOTS / "orders-invoice.pdf").write_bytes(invoice.body())

    # The customer sees the parcel on the way, with its tracking link.
    shopper.goto("/account/orders/")
    track = shopper.get_by_role("link", name="Track (DHL)")
    assert "tracking-id=JD014600000123" in track.get_attribute("href")
    shot(shopper, "customer-history")
    shopper.get_by_role("link", name=order.number).click()
    shopper.get_by_text("Sent with DHL on").wait_for()
    assert shopper.get_by_text("JD014600000123").is_visible()
    assert shopper.get_by_role("link", name="Track your parcel").is_visible()
    shot(shopper, "customer-order")
