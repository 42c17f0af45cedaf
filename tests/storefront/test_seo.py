"""What search engines and link previews read: sitemap, robots.txt, Open Graph, JSON-LD."""

import json
import re
from datetime import date

import pytest

from mallkit.catalog.models import Product

from .factories import CategoryFactory, ProductImageFactory, make_product

pytestmark = pytest.mark.django_db


def json_ld(html: str) -> dict:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def meta(html: str, prop: str) -> str:
    match = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', html)
    assert match, prop
    return match.group(1)


def test_sitemap_lists_home_categories_and_visible_products(client):
    kitchen = CategoryFactory(name="Kitchen")
    CategoryFactory(name="Hidden", is_active=False)
    teapot = make_product("Teapot")
    kettle = make_product("Kettle", status=Product.Status.COMING_SOON, published_at=None)
    draft = make_product("Draft", status=Product.Status.DRAFT)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    xml = response.content.decode()
    locations = re.findall(r"<loc>(.*?)</loc>", xml)
    assert locations == [
        "http://testserver/",
        f"http://testserver/categories/{kitchen.slug}/",
        f"http://testserver/products/{teapot.slug}/",
        f"http://testserver/products/{kettle.slug}/",
    ]
    assert draft.slug not in xml
    assert "<lastmod>" in xml


def test_robots_txt(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "User-agent: *\n"
        "Allow: /\n"
        "Disallow: /account/\n"
        "Disallow: /cart/\n"
        "Disallow: /checkout/\n"
        "Disallow: /backoffice/\n"
        "Disallow: /admin/\n"
        "Disallow: /api/\n"
        "\n"
        "Sitemap: http://testserver/sitemap.xml\n"
    )


def test_product_open_graph_tags(client):
    product = make_product(
        "Stoneware Teapot", "29.90", description="<p>Glazed by hand &amp; fired twice.</p>"
    )
    ProductImageFactory(product=product, image__width=1200, image__height=900)

    html = client.get(f"/products/{product.slug}/").content.decode()

    assert meta(html, "og:type") == "product"
    assert meta(html, "og:title") == "Stoneware Teapot"
    assert meta(html, "og:description") == "Glazed by hand &amp; fired twice."
    assert meta(html, "og:url") == f"http://testserver/products/{product.slug}/"
    image = meta(html, "og:image")
    assert image.startswith(f"http://testserver/media/products/{product.pk}/")
    assert image.endswith(".960x960_q82.webp")
    assert meta(html, "og:image:width") == "960"
    assert meta(html, "og:image:height") == "720"
    assert meta(html, "product:price:amount") == "29.90"
    assert meta(html, "product:price:currency") == "USD"
    assert f'<link rel="canonical" href="http://testserver/products/{product.slug}/">' in html


def test_product_json_ld(client):
    product = make_product(
        "Stoneware Teapot", "29.90", sku="TEA-GRN", stock=2, description="<p>Hand glazed.</p>"
    )
    ProductImageFactory(product=product)

    data = json_ld(client.get(f"/products/{product.slug}/").content.decode())

    assert data == {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Stoneware Teapot",
        "description": "Hand glazed.",
        "url": f"http://testserver/products/{product.slug}/",
        "image": [data["image"][0]],
        "sku": "TEA-GRN",
        "offers": {
            "@type": "Offer",
            "price": "29.90",
            "priceCurrency": "USD",
            "url": f"http://testserver/products/{product.slug}/",
            "availability": "https://schema.org/LimitedAvailability",
        },
    }
    assert data["image"][0].startswith("http://testserver/media/products/")


def test_json_ld_of_products_out_of_stock_and_coming_soon(client):
    sold_out = make_product("Sold Out", stock=0)
    soon = make_product(
        "Soon", status=Product.Status.COMING_SOON, published_at=None, expected_at=date(2030, 5, 17)
    )

    sold_out_offer = json_ld(client.get(f"/products/{sold_out.slug}/").content.decode())["offers"]
    soon_offer = json_ld(client.get(f"/products/{soon.slug}/").content.decode())["offers"]

    assert sold_out_offer["availability"] == "https://schema.org/OutOfStock"
    assert soon_offer["availability"] == "https://schema.org/OutOfStock"
    assert soon_offer["availabilityStarts"] == "2030-05-17"


def test_a_product_name_cannot_break_out_of_the_page(client):
    evil = "</script><script>alert(1)</script>"
    product = make_product(evil, slug="evil", description="<p>&lt;/script&gt;</p>")
    ProductImageFactory(product=product, alt=evil)

    html = client.get("/products/evil/").content.decode()

    assert "<script>alert(1)" not in html
    assert "</script><script>" not in html
    assert json_ld(html)["name"] == evil
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in html
    assert meta(html, "og:title") == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_listing_pages_with_filters_are_not_indexed(client):
    kitchen = CategoryFactory(name="Kitchen")

    plain = client.get(f"/categories/{kitchen.slug}/").content.decode()
    filtered = client.get(f"/categories/{kitchen.slug}/", {"in_stock": "1"}).content.decode()
    search = client.get("/search/", {"q": "tea"}).content.decode()

    assert 'name="robots"' not in plain
    assert '<meta name="robots" content="noindex, follow">' in filtered
    assert '<meta name="robots" content="noindex, follow">' in search
