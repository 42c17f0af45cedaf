"""The back office in Debian's chromium: a catalogue manager puts a product in the shop.

Screenshots go to /tmp/shots/backoffice-*.png for a person to look at.
"""

import mimetypes
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from mallkit.catalog.models import Product
from tests.backoffice.roles import make_person
from tests.factories import CategoryFactory, StockLevelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
PASSWORD = "correct-horse-battery"


def lamp_picture(path: Path, colour: str) -> Path:
    image = Image.new("RGB", (1200, 1200), "#eef1f4")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((520, 420, 680, 980), radius=40, fill="#3a3f47")
    draw.polygon([(360, 460), (840, 460), (700, 200), (500, 200)], fill=colour)
    draw.ellipse((420, 960, 780, 1040), fill="#3a3f47")
    image.save(path, format="JPEG", quality=90)
    return path


def serve_media(route):
    """The live server serves no uploads (DEBUG is off); read them from MEDIA_ROOT instead."""
    name = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
    path = Path(settings.MEDIA_ROOT) / name
    if not path.is_file():
        route.fulfill(status=404, body="")
        return
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    route.fulfill(status=200, body=path.read_bytes(), content_type=content_type)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # A full-page picture would show the sticky save bar in the middle of the page.
    # (Set through the CSSOM: the Content-Security-Policy refuses injected <style> elements.)
    page.evaluate(
        "document.querySelectorAll('.save-bar').forEach(bar => bar.style.position = 'static')"
    )
    page.screenshot(path=str(SHOTS / f"backoffice-{name}.png"), full_page=True)


def test_catalogue_manager_creates_and_publishes_a_product(page, tmp_path):
    make_person("catalogue", email="mia@example.com", full_name="Mia Manager")
    lighting = CategoryFactory(name="Lighting", slug="lighting")
    CategoryFactory(name="Desk lamps", slug="desk-lamps", parent=lighting)
    page.route("**/media/**", serve_media)

    # Anonymous: the back office sends the visitor to its login page.
    page.goto("/backoffice/products/")
    assert "/backoffice/login/" in page.url
    shot(page, "login")
    page.fill("input[name=login]", "mia@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/backoffice/products/")

    page.click("text=Add a product")
    page.wait_for_url("**/backoffice/products/new/")
    page.fill("input[name=name]", "Aurora Desk Lamp")
    page.fill(
        "textarea[name=description]", "<p>A brass lamp with a <strong>warm</strong> light.</p>"
    )
    page.check("label:has-text('Desk lamps') input")

    # Options → a grid of variants (swapped in by htmx), then each row gets its stock.
    page.fill("textarea[name=generate-options]", "Finish: Brass, Black")
    page.fill("input[name=generate-price]", "89.00")
    page.click("button[value=generate]")
    page.wait_for_selector("input[name=variants-1-sku]")
    assert page.input_value("input[name=variants-0-sku]") == "ADL-BRASS"
    assert page.input_value("input[name=variants-1-sku]") == "ADL-BLACK"
    # A row added by the page's script, then pruned again.
    page.click("button[data-add-variant]")
    page.fill("input[name=variants-2-sku]", "ADL-SPARE")
    page.check("input[name=variants-2-DELETE]")
    assert "removed" in page.locator("[data-variant-row]").nth(2).get_attribute("class")
    assert page.input_value("input[name=variants-TOTAL_FORMS]") == "3"
    page.fill("input[name=variants-0-stock]", "12")
    page.fill("input[name=variants-1-stock]", "4")
    page.fill("input[name=variants-1-compare_at_price]", "109.00")
    shot(page, "product-new")
    page.click("button:has-text('Create the product')")
    page.wait_for_selector("text=“Aurora Desk Lamp” was saved.")
    product = Product.objects.get(name="Aurora Desk Lamp")
    assert product.status == Product.Status.DRAFT
    assert sorted(product.variants.values_list("sku", flat=True)) == ["ADL-BLACK", "ADL-BRASS"]
    shot(page, "product-edit")

    # Two pictures through the file input; the page uploads each on its own.
    page.click("nav.tabs >> text=Pictures")
    page.set_input_files(
        "input[name=images]",
        [
            str(lamp_picture(tmp_path / "brass.jpg", "#c9a227")),
            str(lamp_picture(tmp_path / "black.jpg", "#1f2328")),
        ],
    )
    page.click("button:has-text('Upload')")
    expect(page.locator(".gallery-item")).to_have_count(2)
    page.fill("#alt-" + str(product.images.first().pk), "The brass lamp, lit")
    page.locator(".alt-form button").first.click()
    page.wait_for_selector("text=Saved.")
    assert product.images.first().alt == "The brass lamp, lit"
    shot(page, "pictures")

    # Stock page: a delivery arrives.
    page.click("nav.tabs >> text=Stock")
    variant = product.variants.get(sku="ADL-BLACK")
    page.fill(f"input[name=adjust-{variant.pk}-change]", "6")
    page.select_option(f"select[name=adjust-{variant.pk}-reason]", "received")
    page.click(f"#v{variant.pk} button:has-text('Record the adjustment')")
    page.wait_for_selector("text=ADL-BLACK: +6, now 10 on hand.")
    shot(page, "stock")

    # Publish it from the list with a bulk action.
    page.click(".bo-menu >> text=Products")
    page.check(f"input[name=products][value='{product.pk}']")
    page.select_option("select[name=action]", "publish")
    page.click("button:has-text('Apply')")
    page.wait_for_selector("text=1 product updated.")
    assert page.locator(".products-table .badge-active").count() == 1
    shot(page, "products")

    page.click("text=Aurora Desk Lamp")
    page.click("nav.tabs >> text=History")
    assert page.locator(".history-price").count() == 3
    assert page.locator(".history-stock").count() == 3
    shot(page, "history")

    page.goto("/backoffice/categories/")
    shot(page, "categories")
    page.goto("/backoffice/")
    shot(page, "dashboard")

    # The shopper's side: the product page shows it.
    product.refresh_from_db()
    assert product.status == Product.Status.ACTIVE
    page.goto(f"/products/{product.slug}/")
    assert page.locator("h1").first.inner_text().strip() == "Aurora Desk Lamp"
    shot(page, "storefront")


def test_a_warehouse_worker_sees_only_stock_tools(page):
    make_person("warehouse", email="wes@example.com")
    page.goto("/backoffice/login/")
    page.fill("input[name=login]", "wes@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/backoffice/")

    menu = page.locator(".bo-menu a").all_inner_texts()
    assert menu == ["Dashboard", "Orders", "Products", "Categories", "Low stock"]
    assert page.locator("text=Add a product").count() == 0
    response = page.goto("/backoffice/products/new/")
    assert response.status == 403
    shot(page, "forbidden")


def log_in(page, email):
    page.goto("/backoffice/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/backoffice/")


def test_errors_low_stock_and_category_pages_look_right(page):
    make_person("owner", email="olga@example.com", full_name="Olga Owner")
    level = StockLevelFactory(
        on_hand=2, variant__sku="MUG-BLUE", variant__product__name="Stoneware Mug"
    )
    log_in(page, "olga@example.com")

    page.goto(f"/backoffice/products/{level.variant.product_id}/")
    page.fill("input[name=name]", "")
    page.fill("input[name=variants-0-price]", "12.345")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector(".has-error")
    assert page.locator("text=This field is required.").count() == 1
    assert page.locator("text=Ensure that there are no more than 2 decimal places.").count() == 1
    shot(page, "product-errors")

    page.goto("/backoffice/stock/low/")
    assert page.locator("text=MUG-BLUE").count() == 1
    shot(page, "low-stock")

    page.goto("/backoffice/categories/new/")
    page.fill("input[name=name]", "Kitchen")
    page.set_input_files(
        "input[name=image]",
        files=[{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": b"<svg></svg>"}],
    )
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=SVG pictures are not accepted", state="attached")
    shot(page, "category-errors")
