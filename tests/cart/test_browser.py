"""A member's journey in Debian's chromium: sign up, keep an address and a favourite, fill the
cart, sign out, sign in again and find everything. Screenshots go to /tmp/shots/account-*.png."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from mallkit.catalog.models import ProductImage
from tests.factories import sellable_variant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
EMAIL = "grace@example.com"
PASSWORD = "a long unusual phrase"


def add_picture(product, background, colour):
    image = Image.new("RGB", (800, 800), background)
    ImageDraw.Draw(image).ellipse((220, 220, 580, 580), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    ProductImage.objects.create(
        product=product, image=ContentFile(buffer.getvalue(), name=f"{product.slug}.jpg")
    )


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"account-{name}.png"), full_page=True)


def cart_count(page) -> str:
    return page.locator("#cart-count").inner_text().split()[-1]


def test_member_journey(page, live_server):
    teapot = sellable_variant(name="Stoneware Teapot", price="29.90", stock=12, is_featured=True)
    mug = sellable_variant(name="Ceramic Mug", price="12.50", stock=40, is_featured=True)
    add_picture(teapot.product, "#dcebe7", "#2f6f6a")
    add_picture(mug.product, "#f6e3d3", "#c2703d")

    # Sign up.
    page.goto("/account/signup/")
    shoot(page, "signup-desktop")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/account/$"))
    assert page.get_by_text("You have no orders yet").is_visible()

    # Add an address.
    page.get_by_role("link", name="Addresses").first.click()
    page.get_by_role("link", name="Add an address").first.click()
    page.fill("input[name=full_name]", "Grace Hopper")
    page.fill("input[name=phone]", "+1 212 555 0100")
    page.fill("input[name=line1]", "1 Main Street")
    page.fill("input[name=city]", "New York")
    page.fill("input[name=region]", "NY")
    page.fill("input[name=postal_code]", "10001")
    page.select_option("select[name=country]", "US")
    shoot(page, "address-form-desktop")
    page.get_by_role("button", name="Save address").click()
    page.wait_for_url(re.compile(r"/account/addresses/$"))
    assert page.get_by_text("1 Main Street").is_visible()

    # Favourite the teapot and put it in the cart from its page (htmx, no reload).
    page.goto(teapot.product.get_absolute_url())
    page.locator(".product-actions .favourite__button").click()
    page.locator(".product-actions .favourite__button[aria-pressed=true]").wait_for()
    page.locator(".product-add input[name=quantity]").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("“Stoneware Teapot” is in your cart.").wait_for()
    assert cart_count(page) == "2"
    shoot(page, "product-desktop")

    # The mug from its card on the home page.
    page.goto("/")
    card = page.locator(".product-card", has_text="Ceramic Mug").first
    card.get_by_role("button", name="Add to cart").click()
    card.get_by_text("is in your cart").wait_for()
    assert cart_count(page) == "3"
    shoot(page, "home-desktop")

    # The cart: change a quantity without reloading.
    page.goto("/cart/")
    teapot_line = page.locator(".cart-line", has_text="Stoneware Teapot")
    teapot_line.locator("input[name=quantity]").fill("3")
    teapot_line.locator("input[name=quantity]").dispatch_event("change")
    page.get_by_text("$102.20").wait_for()  # 3 × 29.90 + 12.50
    assert cart_count(page) == "4"
    shoot(page, "cart-desktop")
    page.set_viewport_size(PHONE)
    shoot(page, "cart-phone")
    page.goto("/account/")
    shoot(page, "overview-phone")
    page.goto("/account/favourites/")
    shoot(page, "favourites-phone")
    page.set_viewport_size(DESKTOP)
    shoot(page, "favourites-desktop")

    # Sign out: the cart, the address and the favourite stay with the member.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    assert cart_count(page) == "0"

    page.set_viewport_size(PHONE)
    page.goto("/account/login/")
    shoot(page, "login-phone")
    page.set_viewport_size(DESKTOP)
    page.goto("/account/login/")
    shoot(page, "login-desktop")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/account/$"))
    assert cart_count(page) == "4"
    shoot(page, "overview-desktop")
    assert page.get_by_text("1 Main Street").first.is_visible()

    page.goto("/account/favourites/")
    assert page.locator(".favourite-item", has_text="Stoneware Teapot").is_visible()

    page.goto("/cart/")
    assert (
        page.locator(".cart-line", has_text="Stoneware Teapot")
        .locator("input[name=quantity]")
        .input_value()
        == "3"
    )
    assert page.locator(".cart-line", has_text="Ceramic Mug").is_visible()
    page.get_by_text("$102.20").wait_for()

    page.set_viewport_size(PHONE)
    page.goto("/account/addresses/")
    shoot(page, "addresses-phone")
    page.goto(mug.product.get_absolute_url())
    shoot(page, "product-phone")
