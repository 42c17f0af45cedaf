"""The search page: ranked results, SKU and category matches, filters and empty states."""

import pytest

from mallkit.catalog.models import Product

from .factories import CategoryFactory, make_product

pytestmark = pytest.mark.django_db


def names(response):
    return [product.name for product in response.context["products"]]


def test_a_name_match_ranks_above_a_description_match(client):
    make_product("Cotton Apron", description="<p>Keeps a teapot user tidy.</p>")
    make_product("Stoneware Teapot", description="<p>Holds 1.2 litres.</p>")

    response = client.get("/search/", {"q": "teapot"})

    assert response.status_code == 200
    assert names(response) == ["Stoneware Teapot", "Cotton Apron"]
    assert "Results for “teapot”" in response.content.decode()


def test_finds_by_sku_and_by_category_name(client):
    lamps = CategoryFactory(name="Lighting")
    make_product("Desk Lamp", sku="LAMP-0042")
    make_product("Floor Light", categories=[lamps])
    make_product("Rug")

    assert names(client.get("/search/", {"q": "LAMP-0042"})) == ["Desk Lamp"]
    assert names(client.get("/search/", {"q": "lighting"})) == ["Floor Light"]


def test_only_visible_products_are_found(client):
    make_product("Teapot Draft", status=Product.Status.DRAFT)
    make_product("Teapot Live")

    assert names(client.get("/search/", {"q": "teapot"})) == ["Teapot Live"]


def test_query_stays_in_the_header_search_box(client):
    make_product("Teapot")

    html = client.get("/search/", {"q": "tea <b>pot</b>"}).content.decode()

    assert 'name="q" value="tea &lt;b&gt;pot&lt;/b&gt;"' in html
    assert "<b>pot</b>" not in html


def test_empty_query_asks_what_to_look_for(client):
    CategoryFactory(name="Kitchen")

    response = client.get("/search/", {"q": "   "})

    assert response.status_code == 200
    html = response.content.decode()
    assert "What are you looking for?" in html
    assert "Kitchen" in html
    assert "products" not in response.context


def test_no_results_suggests_what_to_do(client):
    CategoryFactory(name="Kitchen")
    make_product("Teapot")

    response = client.get("/search/", {"q": "submarine"})

    html = response.content.decode()
    assert "Nothing matches “submarine”." in html
    assert "Check the spelling" in html
    assert "Or browse a category:" in html


def test_search_has_the_same_filters_sort_and_pages(client, settings):
    settings.MALLKIT_PAGE_SIZE = 2
    make_product("Red Teapot", "30.00", variants=[{"options": {"Colour": "Red"}}])
    make_product("Blue Teapot", "20.00", variants=[{"options": {"Colour": "Blue"}}], stock=0)
    make_product("Green Teapot", "25.00", variants=[{"options": {"Colour": "Green"}}])

    by_price = client.get("/search/", {"q": "teapot", "sort": "price"})
    second = client.get("/search/", {"q": "teapot", "sort": "price", "page": "2"})
    filtered = client.get("/search/", {"q": "teapot", "colour": "red", "in_stock": "1"})

    assert names(by_price) == ["Blue Teapot", "Green Teapot"]
    assert names(second) == ["Red Teapot"]
    assert names(filtered) == ["Red Teapot"]
    html = filtered.content.decode()
    assert '<input type="hidden" name="q" value="teapot">' in html
    assert 'data-count="colour=green">1</span>' in html
    assert '<option value="relevance" selected>Best match</option>' in html


def test_bad_search_input_never_breaks(client):
    make_product("Teapot")

    for query in ['"', "*", "NEAR(a b)", "' OR 1=1 --", "x" * 5000, "\x00", "茶壶"]:
        assert client.get("/search/", {"q": query}).status_code == 200
