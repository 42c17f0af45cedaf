"""The storefront in Debian's chromium: what a shopper sees and clicks, on a desktop and a phone.

Screenshots go to /tmp/shots/ for a person to look at; the assertions check the behaviour.
"""

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from mallkit.catalog.models import Product, ProductImage

from .factories import CategoryFactory, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PALETTES = [
    ("#dcebe7", "#2f6f6a"),
    ("#f6e3d3", "#c2703d"),
    ("#e1e6f5", "#4a5fa8"),
    ("#f4dde2", "#b8404f"),
    ("#e6eed8", "#6b8f3a"),
    ("#ece1f2", "#8a5aa8"),
    ("#f3efd9", "#a88a2c"),
]


@pytest.fixture(autouse=True)
def _serve_media(settings):
    settings.ROOT_URLCONF = "tests.storefront.urls_with_media"


def picture(seed: int, shape: str = "circle") -> bytes:
    """A product-like JPEG: a soft background with a shaded object in the middle."""
    background, colour = PALETTES[seed % len(PALETTES)]
    image = Image.new("RGB", (1200, 1200), background)
    draw = ImageDraw.Draw(image, "RGBA")
    draw.ellipse((260, 930, 940, 1010), fill="#00000018")
    if shape == "circle":
        draw.ellipse((330, 280, 870, 820), fill=colour)
        draw.ellipse((420, 360, 560, 500), fill="#ffffff55")
    elif shape == "tall":
        draw.rounded_rectangle((440, 180, 760, 960), radius=80, fill=colour)
        draw.rounded_rectangle((480, 240, 560, 600), radius=40, fill="#ffffff55")
    else:
        draw.rounded_rectangle((260, 330, 940, 930), radius=60, fill=colour)
        draw.rectangle((260, 330, 940, 450), fill="#00000022")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def add_pictures(product, seeds, shape="circle"):
    for position, seed in enumerate(seeds):
        ProductImage.objects.create(
            product=product,
            image=ContentFile(picture(seed, shape), name=f"{product.slug}-{position}.jpg"),
            position=position,
        )


def build_shop():
    kitchen = CategoryFactory(name="Kitchen", position=1)
    tea = CategoryFactory(name="Tea & Coffee", parent=kitchen, position=1)
    CategoryFactory(name="Tableware", parent=kitchen, position=2)
    living = CategoryFactory(name="Living", position=2)
    outdoors = CategoryFactory(name="Outdoors", position=3)
    CategoryFactory(name="Gifts", position=4)
    recently = timezone.now() - timedelta(days=2)

    teapot = make_product(
        "Stoneware Teapot",
        categories=[tea],
        is_featured=True,
        published_at=recently,
        description="<p>A <strong>1.2 litre</strong> teapot, glazed by hand.</p>"
        "<ul><li>Dishwasher safe</li><li>Stainless steel infuser</li></ul>",
        variants=[
            {
                "sku": "TEA-GRN",
                "price": "29.90",
                "compare_at": "39.90",
                "stock": 12,
                "options": {"Colour": "Green"},
            },
            {"sku": "TEA-TER", "price": "32.00", "stock": 2, "options": {"Colour": "Terracotta"}},
            {"sku": "TEA-BLU", "price": "32.00", "stock": 0, "options": {"Colour": "Blue"}},
        ],
    )
    add_pictures(teapot, [0, 1, 2, 3])
    items = [
        ("Ceramic Mug", "12.50", None, 40, [tea], "circle", {"is_featured": True}),
        ("Linen Tablecloth", "54.00", "68.00", 6, [kitchen], "square", {}),
        ("Walnut Serving Board", "45.00", None, 0, [kitchen], "square", {"is_featured": True}),
        ("Glass Carafe", "24.00", None, 3, [tea], "tall", {"published_at": recently}),
        ("Wool Throw Blanket", "89.00", None, 15, [living], "square", {"is_featured": True}),
        ("Scented Candle, Cedar & Smoke", "19.90", "24.90", 25, [living], "tall", {}),
        ("Folding Camp Chair", "64.00", None, 9, [outdoors], "square", {}),
    ]
    for index, (name, price, compare_at, stock, categories, shape, extra) in enumerate(items):
        product = make_product(
            name, price, compare_at=compare_at, stock=stock, categories=categories, **extra
        )
        add_pictures(product, [index + 1], shape)
    make_product(
        "Enamel Kettle",
        "48.00",
        categories=[tea],
        status=Product.Status.COMING_SOON,
        published_at=None,
        expected_at=date.today() + timedelta(days=30),
    )
    make_product("Picnic Basket", "72.00", categories=[outdoors], is_featured=True)
    return {"kitchen": kitchen, "tea": tea, "teapot": teapot}


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The sticky header would otherwise be drawn where the page was scrolled to.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"storefront-{name}.png"), full_page=True)


def test_shopper_journey_on_desktop_and_phone(page, live_server):
    shop = build_shop()

    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)

        page.goto("/")
        assert page.locator("h2", has_text="Featured").is_visible()
        assert page.locator(".product-card", has_text="Stoneware Teapot").first.is_visible()
        # Every card picture has loaded (no broken images).
        page.wait_for_load_state("networkidle")
        broken = page.evaluate(
            "[...document.images].filter(i => i.complete && !i.naturalWidth).map(i => i.src)"
        )
        assert broken == [], broken
        shoot(page, f"{label}-home")

        page.goto(f"/categories/{shop['kitchen'].slug}/")
        assert page.locator("h1", has_text="Kitchen").is_visible()
        assert page.locator(".subcategories a", has_text="Tea & Coffee").is_visible()
        shoot(page, f"{label}-category")

        page.goto(f"/products/{shop['teapot'].slug}/")
        main = page.locator("[data-gallery-main] img")
        first_src = main.get_attribute("src")
        page.locator("[data-gallery-thumb]").nth(2).click()
        assert main.get_attribute("src") != first_src
        assert "teapot" in main.get_attribute("src")
        assert page.url.endswith(f"/products/{shop['teapot'].slug}/")  # no navigation
        assert page.locator("[data-price]").inner_text() == "$29.90"
        assert page.locator("[data-stock]").inner_text() == "In stock"
        page.locator(".option-chip", has_text="Terracotta").click()
        assert page.locator("[data-price]").inner_text() == "$32.00"
        assert page.locator("[data-stock]").inner_text() == "Only 2 left"
        assert page.locator("[data-sku]").inner_text() == "TEA-TER"
        assert page.locator("[data-compare-at-wrap]").is_hidden()
        assert re.search(r"\?colour=terracotta$", page.url)
        page.locator(".option-chip", has_text="Blue").click()
        assert page.locator("[data-stock]").inner_text() == "Out of stock"
        shoot(page, f"{label}-product")

        page.fill("#site-search", "tea")
        page.press("#site-search", "Enter")
        page.wait_for_url(re.compile(r"/search/\?q=tea"))
        assert page.locator("h1", has_text="Results for “tea”").is_visible()
        assert page.input_value("#site-search") == "tea"
        names = page.locator(".product-card__name").all_inner_texts()
        assert names[0] == "Stoneware Teapot"
        shoot(page, f"{label}-search")

    # Filters without typing a URL: tick a box, the list follows.
    page.set_viewport_size(DESKTOP)
    page.goto(f"/categories/{shop['kitchen'].slug}/")
    page.locator(".facet", has_text="In stock only").click()
    page.wait_for_url(re.compile(r"in_stock=1"))
    assert "Walnut Serving Board" not in page.locator(".product-grid").inner_text()
    page.select_option("select[name=sort]", "price")
    page.wait_for_url(re.compile(r"sort=price"))
    prices = page.locator(".product-card .price__now").all_inner_texts()
    assert prices == sorted(prices, key=lambda p: float(p.strip("$").replace(",", "")))

    # The language switcher turns the shop Chinese.
    page.goto("/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_load_state("networkidle")
    assert page.locator("h2", has_text="精选").is_visible()
    shoot(page, "desktop-home-zh")
    page.set_viewport_size(PHONE)
    page.goto(f"/products/{shop['teapot'].slug}/")
    shoot(page, "phone-product-zh")

    page.goto("/no-such-page/")
    assert page.locator("h1").inner_text() == "我们找不到这个页面"
    page.set_viewport_size(DESKTOP)
    shoot(page, "desktop-404-zh")
