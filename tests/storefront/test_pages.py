"""Home, category and product pages render the catalogue as a shopper should see it."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from mallkit.catalog.models import Product
from mallkit.inventory.models import StockLevel

from .factories import CategoryFactory, ProductImageFactory, make_product

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_home_shows_featured_new_coming_soon_and_categories(client):
    kitchen = CategoryFactory(name="Kitchen")
    CategoryFactory(name="Teaware", parent=kitchen)
    make_product("Stoneware Teapot", "29.90", is_featured=True, categories=[kitchen])
    make_product("Glass Carafe", "24.00", published_at=timezone.now() - timedelta(days=2))
    make_product(
        "Enamel Kettle",
        "48.00",
        status=Product.Status.COMING_SOON,
        published_at=None,
        expected_at=date(2030, 5, 17),
    )
    make_product("Hidden Draft", "1.00", status=Product.Status.DRAFT, is_featured=True)

    response = client.get("/")

    assert response.status_code == 200
    sections = response.context["sections"]
    assert [p.name for p in sections["featured"]] == ["Stoneware Teapot"]
    assert [p.name for p in sections["new_arrivals"]] == ["Glass Carafe"]
    assert [p.name for p in sections["coming_soon"]] == ["Enamel Kettle"]
    html = text(response)
    assert "$29.90" in html
    assert "Expected on May 17, 2030" in html
    assert '<li class="badge badge--new">New</li>' in html
    assert '<li class="badge badge--soon">Coming soon</li>' in html
    assert "Hidden Draft" not in html
    assert 'href="/categories/kitchen-' in html
    assert "Teaware" in html


def test_home_without_products_still_welcomes(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "The shop is getting ready" in text(response)


def test_card_shows_sale_price_struck_through_and_out_of_stock_badge(client):
    make_product("Linen Tablecloth", "54.00", compare_at="68.00", is_featured=True)
    make_product("Walnut Board", "45.00", stock=0, is_featured=True)

    html = text(client.get("/"))

    assert '<span class="price__now price__now--sale">$54.00</span>' in html
    assert '<s class="price__was">$68.00</s>' in html
    assert '<li class="badge badge--sale">Sale</li>' in html
    assert '<li class="badge badge--out">Out of stock</li>' in html


def test_card_says_from_when_variants_cost_different_amounts(client):
    make_product(
        "Mug",
        is_featured=True,
        variants=[
            {"price": "9.00", "options": {"Size": "Large"}},
            {"price": "7.50", "options": {"Size": "Small"}},
        ],
    )

    html = text(client.get("/"))

    assert '<span class="price__from">from</span>' in html
    assert "$7.50" in html
    assert "$9.00" not in html


def test_card_picture_is_a_lazy_webp_rendition_with_size_and_alt(client):
    product = make_product("Teapot", is_featured=True)
    ProductImageFactory(product=product, image__width=1000, image__height=800, alt="Green teapot")

    html = text(client.get("/"))

    assert '.480x480_q82_crop-smart.webp" width="480" height="480" alt="Green teapot"' in html
    assert 'loading="lazy"' in html


def test_product_without_pictures_shows_a_placeholder(client):
    make_product("Plain Thing", is_featured=True)

    html = text(client.get("/"))

    assert (
        '<span class="picture-placeholder product-card__image" role="img" aria-label="Plain Thing">'
        in html
    )
    assert '<img src=""' not in html


def test_category_lists_its_products_and_its_subcategories_products(client):
    kitchen = CategoryFactory(name="Kitchen")
    teaware = CategoryFactory(name="Teaware", parent=kitchen)
    CategoryFactory(name="Hidden shelf", parent=kitchen, is_active=False)
    toys = CategoryFactory(name="Toys")
    make_product("Teapot", "29.90", categories=[teaware])
    make_product("Apron", "15.00", categories=[kitchen])
    make_product("Kite", "9.00", categories=[toys])

    response = client.get(f"/categories/{kitchen.slug}/")

    assert response.status_code == 200
    assert sorted(p.name for p in response.context["products"]) == ["Apron", "Teapot"]
    html = text(response)
    assert f'<a class="chip" href="/categories/{teaware.slug}/">Teaware</a>' in html
    assert "Hidden shelf" not in html
    assert "Kite" not in html
    assert "2 products" in html
    assert "$29.90" in html


def test_category_breadcrumbs_lead_home_through_the_parents(client):
    kitchen = CategoryFactory(name="Kitchen")
    teaware = CategoryFactory(name="Teaware", parent=kitchen)

    html = text(client.get(f"/categories/{teaware.slug}/"))

    assert '<li><a href="/">Home</a></li>' in html
    assert f'<li><a href="/categories/{kitchen.slug}/">Kitchen</a></li>' in html
    assert '<li><span aria-current="page">Teaware</span></li>' in html


def test_category_with_a_chinese_slug_is_reachable(client):
    category = CategoryFactory(name="茶具", slug="茶具")
    make_product("Teapot", categories=[category])

    response = client.get(category.get_absolute_url())

    assert response.status_code == 200
    assert "Teapot" in text(response)


def test_hidden_or_unknown_category_is_404(client):
    hidden = CategoryFactory(name="Hidden", is_active=False)

    assert client.get(f"/categories/{hidden.slug}/").status_code == 404
    assert client.get("/categories/no-such-thing/").status_code == 404


def test_product_page_shows_price_stock_breadcrumbs_and_description(client):
    kitchen = CategoryFactory(name="Kitchen")
    teaware = CategoryFactory(name="Teaware", parent=kitchen)
    product = make_product(
        "Stoneware Teapot",
        "29.90",
        compare_at="39.90",
        stock=12,
        sku="TEA-GRN",
        categories=[teaware],
        description="<p>A <strong>1.2 litre</strong> teapot.</p>",
    )

    response = client.get(f"/products/{product.slug}/")

    assert response.status_code == 200
    html = text(response)
    assert '<h1 id="product-title" class="product__title">Stoneware Teapot</h1>' in html
    assert '<span class="price__now price__now--sale" data-price>$29.90</span>' in html
    assert '<s class="price__was" data-compare-at>$39.90</s>' in html
    assert stock_line(html) == ("in_stock", "In stock")
    assert "<span data-sku>TEA-GRN</span>" in html
    assert "<p>A <strong>1.2 litre</strong> teapot.</p>" in html
    assert f'<li><a href="/categories/{kitchen.slug}/">Kitchen</a></li>' in html
    assert f'<li><a href="/categories/{teaware.slug}/">Teaware</a></li>' in html


def stock_line(html: str) -> tuple[str, str]:
    found = re.search(r'<p class="stock stock--(\w+)" data-stock[^>]*>\s*(.*?)\s*</p>', html)
    return found.groups()


@pytest.mark.parametrize(
    ("on_hand", "allocated", "code", "label"),
    [
        (40, 0, "in_stock", "In stock"),
        (6, 0, "in_stock", "In stock"),
        (5, 0, "low", "Only 5 left"),
        (10, 9, "low", "Only 1 left"),
        (4, 4, "out", "Out of stock"),
        (0, 0, "out", "Out of stock"),
    ],
)
def test_product_stock_status(client, on_hand, allocated, code, label):
    product = make_product("Teapot", stock=on_hand)
    StockLevel.objects.filter(variant__product=product).update(allocated=allocated)

    response = client.get(f"/products/{product.slug}/")

    assert stock_line(text(response)) == (code, label)


def test_variant_picker_starts_on_a_variant_in_stock_and_follows_the_query(client):
    product = make_product(
        "Teapot",
        variants=[
            {"sku": "TEA-BLU", "price": "32.00", "stock": 0, "options": {"Colour": "Blue"}},
            {"sku": "TEA-GRN", "price": "29.90", "stock": 5, "options": {"Colour": "Green"}},
        ],
    )
    url = f"/products/{product.slug}/"

    first = client.get(url)
    chosen = client.get(url, {"colour": "blue"})

    assert first.context["variant"].sku == "TEA-GRN"
    assert '<input type="radio" name="colour" value="green" checked>' in text(first)
    assert chosen.context["variant"].sku == "TEA-BLU"
    assert '<input type="radio" name="colour" value="blue" checked>' in text(chosen)
    assert "$32.00" in text(chosen)
    assert stock_line(text(chosen)) == ("out", "Out of stock")
    data = chosen.context["variant_data"]
    assert data == [
        {
            "sku": "TEA-BLU",
            "options": {"colour": "blue"},
            "price": "$32.00",
            "compare_at": "",
            "stock": "Out of stock",
            "stock_code": "out",
        },
        {
            "sku": "TEA-GRN",
            "options": {"colour": "green"},
            "price": "$29.90",
            "compare_at": "",
            "stock": "Only 5 left",
            "stock_code": "low",
        },
    ]
    assert '<script id="variant-data" type="application/json">' in text(chosen)


def test_impossible_combination_says_so_instead_of_a_price(client):
    product = make_product(
        "Shirt",
        variants=[
            {"sku": "S-RED-M", "options": {"Colour": "Red", "Size": "M"}},
            {"sku": "S-BLUE-L", "options": {"Colour": "Blue", "Size": "L"}},
        ],
    )

    response = client.get(f"/products/{product.slug}/", {"colour": "red", "size": "l"})

    assert response.status_code == 200
    assert response.context["variant"] is None
    html = text(response)
    assert "This combination is not available." in html
    assert "data-price>" not in html
    assert '<input type="radio" name="size" value="l" checked>' in html


def test_gallery_shows_pictures_in_order_with_thumbnails(client):
    product = make_product("Teapot")
    second = ProductImageFactory(product=product, position=2, image__filename="second.jpg")
    first = ProductImageFactory(product=product, position=1, image__filename="first.jpg")

    response = client.get(f"/products/{product.slug}/")

    assert response.context["images"] == [first, second]
    html = text(response)
    main = html.index("data-gallery-main")
    assert "first.jpg.960x960_q82.webp" in html[main : main + 300]
    assert html.count("data-gallery-thumb") == 2
    assert ".120x120_q82_crop-smart.webp" in html
    assert 'href="/media/products/' in html  # each thumbnail links to the big picture
    assert "Show picture 2 of 2" in html


def test_coming_soon_product_shows_expected_date_and_cannot_be_bought(client):
    product = make_product(
        "Enamel Kettle",
        "48.00",
        status=Product.Status.COMING_SOON,
        published_at=None,
        expected_at=date(2030, 5, 17),
        description="<p>Whistles when ready.</p>",
    )
    ProductImageFactory(product=product)

    response = client.get(f"/products/{product.slug}/")

    assert response.status_code == 200
    assert product.is_purchasable is False
    html = text(response)
    assert "Expected on May 17, 2030" in html
    assert "<p>Whistles when ready.</p>" in html
    assert "data-gallery-main" in html
    assert "data-stock" not in html
    assert "In stock" not in html
    assert 'method="post"' not in html.split('<main id="main"')[1]


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Product.Status.DRAFT},
        {"status": Product.Status.ARCHIVED},
        {"published_at": "future"},
    ],
)
def test_draft_archived_and_unpublished_products_are_404(client, fields):
    if fields.get("published_at") == "future":
        fields = {"published_at": timezone.now() + timedelta(days=1)}
    product = make_product("Secret", **fields)

    response = client.get(f"/products/{product.slug}/")

    assert response.status_code == 404
    assert "Secret" not in text(response)


def test_not_found_page_is_friendly(client):
    CategoryFactory(name="Kitchen")

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = text(response)
    assert "We could not find that page" in html
    assert '<form class="search-again" role="search" action="/search/" method="get">' in html
    assert '<a class="button" href="/">Back to the home page</a>' in html
    assert "Kitchen" in html


def test_header_has_search_menu_language_switcher_and_account_link(client):
    CategoryFactory(name="Kitchen")

    html = text(client.get("/"))

    assert '<form class="site-search" role="search" action="/search/" method="get">' in html
    assert '<nav class="category-nav" aria-label="Categories">' in html
    assert 'action="/i18n/setlang/" method="post"' in html
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in html
    assert 'href="/account/login/"' in html


def test_language_switcher_sets_the_language(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    assert response.status_code == 302
    assert client.get("/").context["LANGUAGE_CODE"] == "zh-hans"
