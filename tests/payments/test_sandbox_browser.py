"""The sandbox payment page in a real browser: it looks like a provider's page and it pays."""

import os
from datetime import date
from pathlib import Path

import pytest

from mallkit.orders.models import Order
from mallkit.payments.models import WebhookEvent

from .helpers import place_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def screenshot(page, tmp_path: Path, name: str) -> Path:
    """Save a full-page screenshot (into MALLKIT_SCREENSHOTS when set, to look at later)."""
    folder = Path(os.environ.get("MALLKIT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_paying_with_the_test_card_that_needs_confirmation(page, tmp_path):
    order, payment = place_order(price="124.00")

    page.goto(payment.redirect_url)

    page.get_by_text("Sandbox — no real money").wait_for()
    assert "129.00" in page.locator("[data-testid=amount]").inner_text()
    assert screenshot(page, tmp_path, "sandbox-pay").stat().st_size > 10_000

    # The "Use" button fills the test card in, with an expiry and security code.
    page.locator("tr", has_text="4000 0000 0000 3220").get_by_role("button", name="Use").click()
    assert page.get_by_label("Card number").input_value() == "4000 0000 0000 3220"
    page.get_by_role("button", name="Pay 129.00 USD").click()

    page.get_by_role("heading", name="Confirm this payment").wait_for()
    screenshot(page, tmp_path, "sandbox-confirm")
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(f"**/orders/{order.number}/")
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert WebhookEvent.objects.get().outcome == "Payment captured; order marked paid."


def test_a_declined_card_shows_the_error_on_the_page(page, tmp_path):
    order, payment = place_order(price="124.00")
    page.goto(payment.redirect_url)

    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry date").fill(f"12 / {(date.today().year + 2) % 100:02d}")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay 129.00 USD").click()

    page.get_by_role("alert").get_by_text("Your card was declined.").wait_for()
    screenshot(page, tmp_path, "sandbox-declined")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    screenshot(page, tmp_path, "sandbox-declined-phone")
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
