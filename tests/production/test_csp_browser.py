"""The shop works under its Content-Security-Policy in Debian's chromium: no violation reported
on the pages with scripts (home, product gallery and variant picker, the cart's htmx, the back
office's product form and category tree, the sandbox card form, the API docs).

Waits use locators, not `page.wait_for_function`: Playwright runs that one's text through eval(),
which the policy refuses like any other."""

import re

import pytest
from playwright.sync_api import expect

from tests.backoffice.roles import make_person
from tests.factories import CategoryFactory
from tests.payments.helpers import place_order
from tests.storefront.factories import make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.ROOT_URLCONF = "tests.storefront.urls_with_media"
    settings.MALLKIT_MODE = "shop"
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def teapot():
    return make_product(
        "Stoneware Teapot",
        is_featured=True,
        pictures=3,
        variants=[
            {"sku": "TEA-GRN", "price": "29.90", "stock": 12, "options": {"Colour": "Green"}},
            {"sku": "TEA-TER", "price": "32.00", "stock": 2, "options": {"Colour": "Terracotta"}},
        ],
    )


def test_the_policy_is_sent_with_every_page(page, live_server, violations):
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert violations.collect() == []


def test_storefront_scripts_run_without_violations(page, live_server, violations):
    product = teapot()

    page.goto("/")
    # The script in <head> that marks pages with JavaScript ran (it was inline before).
    assert "js" in page.evaluate("document.documentElement.className")
    assert page.locator(".product-card", has_text="Stoneware Teapot").first.is_visible()
    assert violations.collect() == []

    page.goto(f"/products/{product.slug}/")
    # JSON-LD for search engines is a data block: the policy does not apply to it, no nonce.
    structured = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert structured["@type"] == "Product"
    main = page.locator("[data-gallery-main] img")
    first = main.get_attribute("src")
    page.locator("[data-gallery-thumb]").nth(2).click()
    assert main.get_attribute("src") != first
    page.locator(".option-chip", has_text="Terracotta").click()
    assert page.locator("[data-price]").inner_text() == "$32.00"
    assert re.search(r"\?colour=terracotta$", page.url)

    # The cart's htmx: added without leaving the page, the header's count swapped in.
    page.locator("[data-product-add-button]").click()
    expect(page.locator("#cart-count")).to_have_text(re.compile(r"1$"))
    assert page.url.endswith("?colour=terracotta")
    assert violations.collect() == []

    page.goto("/cart/")
    page.locator(".cart-line__quantity input[name=quantity]").fill("2")
    page.locator(".cart-line__quantity input[name=quantity]").dispatch_event("change")
    expect(page.locator("#cart-count")).to_have_text(re.compile(r"2$"))
    assert violations.collect() == []


def test_back_office_scripts_run_without_violations(page, live_server, violations):
    make_person("catalogue", email="mia@example.com")
    lighting = CategoryFactory(name="Lighting", slug="lighting")
    CategoryFactory(name="Desk lamps", slug="desk-lamps", parent=lighting)

    page.goto("/backoffice/login/")
    page.fill("input[name=login]", "mia@example.com")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url("**/backoffice/")

    page.goto("/backoffice/products/new/")
    page.fill("input[name=name]", "Aurora Desk Lamp")
    # htmx swaps in the variant grid; the page's own script adds a row.
    page.fill("textarea[name=generate-options]", "Finish: Brass, Black")
    page.fill("input[name=generate-price]", "89.00")
    page.click("button[value=generate]")
    page.wait_for_selector("input[name=variants-1-sku]")
    page.click("button[data-add-variant]")
    page.wait_for_selector("input[name=variants-2-sku]")
    assert violations.collect() == []

    # The category tree is indented by the stylesheet, not by style attributes.
    page.goto("/backoffice/categories/")
    indents = page.eval_on_selector_all(
        ".tree-name", "names => names.map(n => getComputedStyle(n).paddingLeft)"
    )
    assert indents[0] == "0px"
    assert indents[1] != "0px"
    assert violations.collect() == []


def test_sandbox_card_form_script_runs_without_violations(page, live_server, violations, settings):
    settings.MALLKIT_SANDBOX_WEBHOOK_URL = ""
    _, payment = place_order(price="124.00")
    page.goto(payment.redirect_url)
    # The script that fills a test card in moved from the page into sandbox/sandbox.js.
    page.locator("tr", has_text="4000 0000 0000 3220").get_by_role("button", name="Use").click()
    assert page.get_by_label("Card number").input_value() == "4000 0000 0000 3220"
    assert page.get_by_label("Security code").input_value() == "123"
    assert violations.collect() == []


def test_api_docs_render_without_violations(page, live_server, violations):
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert violations.collect() == []
