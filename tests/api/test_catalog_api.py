from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mallkit.catalog.models import Option, Product

from .factories import CategoryFactory, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop_settings(settings):
    settings.MALLKIT_MODE = "shop"
    settings.MALLKIT_CURRENCY = "EUR"
    settings.MALLKIT_NEW_PRODUCT_DAYS = 30
    settings.MALLKIT_API_MAX_PAGE_SIZE = 100


def published(days_ago: int):
    return timezone.now().replace(microsecond=0) - timedelta(days=days_ago)


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def catalogue():
    lighting = CategoryFactory(name="Lighting", slug="lighting", position=0)
    desk_lamps = CategoryFactory(name="Desk lamps", slug="desk-lamps", parent=lighting, position=1)
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen", position=2, description="Pots.")
    secret = CategoryFactory(name="Secret", slug="secret", is_active=False)
    lamp = make_product(
        name="Brass desk lamp",
        slug="brass-desk-lamp",
        published_at=published(10),
        is_featured=True,
        seo_title="Brass lamp",
        seo_description="A warm light.",
        categories=[desk_lamps, secret],
        images=2,
        variants=[
            {
                "sku": "LAMP-BRASS",
                "price": Decimal("129.00"),
                "compare_at_price": Decimal("149.00"),
                "stock": 4,
                "options": {"Colour": "Brass"},
            },
            {
                "sku": "LAMP-BLACK",
                "price": Decimal("139.00"),
                "weight": Decimal("1.250"),
                "options": {"Colour": "Black"},
            },
        ],
    )
    mug = make_product(
        name="Stoneware mug",
        slug="stoneware-mug",
        published_at=published(40),
        categories=[kitchen],
        variants=[{"sku": "MUG-1", "price": Decimal("12.50"), "stock": 10}],
    )
    shade = make_product(
        name="Linen lamp shade",
        slug="linen-lamp-shade",
        status=Product.Status.COMING_SOON,
        published_at=published(5),
        expected_at=date(2031, 1, 15),
        categories=[desk_lamps],
        variants=[{"sku": "SHADE-1", "price": Decimal("29.90")}],
    )
    hidden = [
        make_product(name="Draft lamp", status=Product.Status.DRAFT, published_at=None),
        make_product(name="Archived lamp", status=Product.Status.ARCHIVED),
        make_product(name="Future lamp", published_at=timezone.now() + timedelta(days=2)),
    ]
    return {
        "lighting": lighting,
        "desk_lamps": desk_lamps,
        "kitchen": kitchen,
        "secret": secret,
        "lamp": lamp,
        "mug": mug,
        "shade": shade,
        "hidden": hidden,
    }


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def slugs(body) -> list[str]:
    return [item["slug"] for item in body["items"]]


# Categories --------------------------------------------------------------------------------------


def test_categories_list_every_shown_category_with_its_visible_products(client, catalogue):
    catalogue["kitchen"].image = "categories/kitchen.png"
    catalogue["kitchen"].save()

    body = get_json(client, "/api/v1/categories")

    assert body == {
        "items": [
            {
                "id": catalogue["lighting"].pk,
                "name": "Lighting",
                "slug": "lighting",
                "parent": None,
                "description": "",
                "position": 0,
                "image": None,
                "product_count": 0,
            },
            {
                "id": catalogue["desk_lamps"].pk,
                "name": "Desk lamps",
                "slug": "desk-lamps",
                "parent": catalogue["lighting"].pk,
                "description": "",
                "position": 1,
                "image": None,
                "product_count": 2,
            },
            {
                "id": catalogue["kitchen"].pk,
                "name": "Kitchen",
                "slug": "kitchen",
                "parent": None,
                "description": "Pots.",
                "position": 2,
                "image": "/media/categories/kitchen.png",
                "product_count": 1,
            },
        ],
        "count": 3,
    }


# Product list ------------------------------------------------------------------------------------


def test_product_list_shows_visible_products_newest_first_as_cards(client, catalogue):
    lamp = catalogue["lamp"]

    body = get_json(client, "/api/v1/products")

    assert body["count"] == 3
    assert slugs(body) == ["linen-lamp-shade", "brass-desk-lamp", "stoneware-mug"]
    assert body["items"][1] == {
        "id": lamp.pk,
        "name": "Brass desk lamp",
        "slug": "brass-desk-lamp",
        "url": "/products/brass-desk-lamp/",
        "status": "active",
        "is_new": True,
        "is_featured": True,
        "price_from": "129.00",
        "compare_at_price": "149.00",
        "currency": "EUR",
        "in_stock": True,
        "image": lamp.images.get(position=0).image.url,
        "categories": ["desk-lamps"],
    }
    shade, mug = body["items"][0], body["items"][2]
    assert (shade["status"], shade["in_stock"], shade["is_new"]) == ("coming_soon", False, False)
    assert (mug["price_from"], mug["compare_at_price"], mug["image"]) == ("12.50", None, None)
    assert mug["is_new"] is False


def test_product_list_pages(client, catalogue):
    first = get_json(client, "/api/v1/products?page_size=2")
    second = get_json(client, "/api/v1/products?page=2&page_size=2")
    past_the_end = get_json(client, "/api/v1/products?page=3&page_size=2")
    far_past_the_end = get_json(client, "/api/v1/products?page=99999999999999999999999")
    empty_values = get_json(
        client, "/api/v1/products?page=&page_size=&q=&category=&sort=&in_stock=&option=&min_price="
    )

    assert (slugs(first), first["count"]) == (["linen-lamp-shade", "brass-desk-lamp"], 3)
    assert (slugs(second), second["count"]) == (["stoneware-mug"], 3)
    assert past_the_end == {"items": [], "count": 3}
    assert far_past_the_end == {"items": [], "count": 3}
    assert (slugs(empty_values), empty_values["count"]) == (slugs(first) + slugs(second), 3)


def test_page_size_defaults_to_24(client):
    for number in range(26):
        make_product(slug=f"thing-{number:02d}", variants=[])

    body = get_json(client, "/api/v1/products")

    assert (len(body["items"]), body["count"]) == (24, 26)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=lighting", ["linen-lamp-shade", "brass-desk-lamp"]),
        ("category=desk-lamps", ["linen-lamp-shade", "brass-desk-lamp"]),
        ("category=kitchen", ["stoneware-mug"]),
        ("min_price=100", ["brass-desk-lamp"]),
        ("max_price=30", ["linen-lamp-shade", "stoneware-mug"]),
        ("min_price=12.5&max_price=12.50", ["stoneware-mug"]),
        ("min_price=0", ["linen-lamp-shade", "brass-desk-lamp", "stoneware-mug"]),
        ("min_price=1e9", []),
        ("min_price=100000000000000000000", []),
        (
            "max_price=99999999999999999999.99",
            ["linen-lamp-shade", "brass-desk-lamp", "stoneware-mug"],
        ),
        ("in_stock=true", ["brass-desk-lamp", "stoneware-mug"]),
        ("in_stock=false", ["linen-lamp-shade", "brass-desk-lamp", "stoneware-mug"]),
        ("option=colour:black", ["brass-desk-lamp"]),
        ("option=colour:black&option=colour:green", ["brass-desk-lamp"]),
        ("option=colour:green", []),
        ("option=size:m", []),
        ("q=brass", ["brass-desk-lamp"]),
        ("q=STONEWARE+mu", ["stoneware-mug"]),
        ("q=lamp-black", ["brass-desk-lamp"]),
        ("q=lamp&category=kitchen", []),
        ("q=lamp&sort=name", ["brass-desk-lamp", "linen-lamp-shade"]),
        ("q=***", []),
    ],
)
def test_product_list_filters(client, catalogue, query, expected):
    body = get_json(client, f"/api/v1/products?{query}")

    assert slugs(body) == expected
    assert body["count"] == len(expected)


@pytest.fixture
def priced_products():
    shelf = CategoryFactory(slug="shelf")
    return [
        make_product(
            name=name,
            slug=name.lower(),
            published_at=published(days),
            categories=[shelf],
            variants=[{"price": Decimal(price)}],
        )
        for name, price, days in [
            ("Beta", "20.00", 3),
            ("Alpha", "30.00", 1),
            ("Gamma", "10.00", 2),
        ]
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["alpha", "gamma", "beta"]),
        ("newest", ["alpha", "gamma", "beta"]),
        ("price", ["gamma", "beta", "alpha"]),
        ("-price", ["alpha", "beta", "gamma"]),
        ("name", ["alpha", "beta", "gamma"]),
        ("relevance", ["alpha", "gamma", "beta"]),
    ],
)
def test_product_list_sorts(client, priced_products, sort, expected):
    body = get_json(client, f"/api/v1/products?category=shelf&sort={sort}")

    assert slugs(body) == expected


def test_search_ranks_by_relevance(client):
    make_product(name="Teapot", slug="teapot", description="<p>Pairs with a tea cup.</p>")
    make_product(name="Tea cup", slug="tea-cup", published_at=published(90))

    body = get_json(client, "/api/v1/products?q=cup")

    assert slugs(body) == ["tea-cup", "teapot"]


# Product detail ----------------------------------------------------------------------------------


def test_product_detail(client, catalogue):
    lamp = catalogue["lamp"]
    first_image, second_image = lamp.images.order_by("position")
    black = lamp.variants.get(sku="LAMP-BLACK")
    brass = lamp.variants.get(sku="LAMP-BRASS")

    body = get_json(client, "/api/v1/products/brass-desk-lamp")

    assert body == {
        "id": lamp.pk,
        "name": "Brass desk lamp",
        "slug": "brass-desk-lamp",
        "url": "/products/brass-desk-lamp/",
        "status": "active",
        "is_new": True,
        "is_featured": True,
        "price_from": "129.00",
        "compare_at_price": "149.00",
        "currency": "EUR",
        "in_stock": True,
        "image": first_image.image.url,
        "categories": ["desk-lamps"],
        "description": "",
        "published_at": iso(lamp.published_at),
        "expected_at": None,
        "seo_title": "Brass lamp",
        "seo_description": "A warm light.",
        "purchasable": True,
        "images": [
            {
                "url": first_image.image.url,
                "alt": first_image.alt,
                "width": 40,
                "height": 30,
                "position": 0,
            },
            {
                "url": second_image.image.url,
                "alt": second_image.alt,
                "width": 40,
                "height": 30,
                "position": 1,
            },
        ],
        "variants": [
            {
                "id": brass.pk,
                "sku": "LAMP-BRASS",
                "price": "129.00",
                "compare_at_price": "149.00",
                "currency": "EUR",
                "in_stock": True,
                "available": 4,
                "options": {"Colour": "Brass"},
                "weight": None,
            },
            {
                "id": black.pk,
                "sku": "LAMP-BLACK",
                "price": "139.00",
                "compare_at_price": None,
                "currency": "EUR",
                "in_stock": False,
                "available": 0,
                "options": {"Colour": "Black"},
                "weight": "1.250",
            },
        ],
    }


def test_product_detail_of_a_coming_soon_product(client, catalogue):
    body = get_json(client, "/api/v1/products/linen-lamp-shade")

    assert body["status"] == "coming_soon"
    assert body["expected_at"] == "2031-01-15"
    assert (body["purchasable"], body["in_stock"]) == (False, False)
    assert body["variants"][0]["price"] == "29.90"


def test_product_detail_lists_options_in_option_order(client):
    make_product(
        slug="shirt",
        variants=[{"options": {"Size": "M", "Colour": "Red"}, "compare_at_price": Decimal("9")}],
    )
    Option.objects.filter(slug="size").update(position=1)
    Option.objects.filter(slug="colour").update(position=2)

    body = get_json(client, "/api/v1/products/shirt")

    assert list(body["variants"][0]["options"].items()) == [("Size", "M"), ("Colour", "Red")]
    # A compare-at price below the price is no sale.
    assert body["variants"][0]["compare_at_price"] is None


def test_product_detail_sanitises_the_description(client, catalogue):
    Product.objects.filter(pk=catalogue["mug"].pk).update(
        description='<p onclick="steal()">Hot <script>alert(1)</script>'
        '<a href="javascript:alert(2)">tea</a> <strong>now</strong></p>'
    )

    body = get_json(client, "/api/v1/products/stoneware-mug")

    assert body["description"] == (
        '<p>Hot <a rel="noopener noreferrer nofollow">tea</a> <strong>now</strong></p>'
    )


@pytest.mark.parametrize("name", ["Draft lamp", "Archived lamp", "Future lamp", None])
def test_hidden_or_unknown_products_answer_404(client, catalogue, name):
    slug = Product.objects.get(name=name).slug if name else "nothing-here"

    body = get_json(client, f"/api/v1/products/{slug}", status=404)

    assert body == {
        "detail": "There is no product with this slug.",
        "code": "not_found",
        "errors": {},
    }


def test_showcase_shop_may_hide_prices_and_sells_nothing(client, catalogue, settings):
    settings.MALLKIT_MODE = "showcase"
    settings.MALLKIT_SHOWCASE_SHOW_PRICES = False

    card = get_json(client, "/api/v1/products?q=brass")["items"][0]
    detail = get_json(client, "/api/v1/products/brass-desk-lamp")

    assert (card["price_from"], card["compare_at_price"], card["currency"]) == (None, None, "EUR")
    assert [v["price"] for v in detail["variants"]] == [None, None]
    assert detail["purchasable"] is False

    settings.MALLKIT_SHOWCASE_SHOW_PRICES = True
    assert get_json(client, "/api/v1/products/brass-desk-lamp")["price_from"] == "129.00"


# Bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=1000", "page_size"),
        ("min_price=abc", "min_price"),
        ("min_price=-1", "min_price"),
        ("min_price=1.234", "min_price"),
        ("min_price=NaN", "min_price"),
        ("min_price=Infinity", "min_price"),
        ("min_price=1e999", "min_price"),
        ("max_price=0x10", "max_price"),
        ("min_price=10&max_price=5", "max_price"),
        ("sort=evil", "sort"),
        ("sort=price;DROP+TABLE+catalog_product", "sort"),
        ("in_stock=maybe", "in_stock"),
        ("q=" + "a" * 201, "q"),
        ("q=lamp%00", "q"),
        ("category=nope", "category"),
        ("category=secret", "category"),
        ("category=lighting'+OR+'1'='1", "category"),
        ("category=" + "x" * 141, "category"),
        ("option=colour", "option"),
        ("option=:red", "option"),
        ("option=colour:", "option"),
        ("&".join(f"option=colour:c{n}" for n in range(21)), "option"),
    ],
)
def test_bad_parameters_answer_422_with_field_errors(client, catalogue, query, field):
    body = get_json(client, f"/api/v1/products?{query}", status=422)

    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]
    assert body["detail"] == f"Some values are not valid: {field}."
    message = body["errors"][field][0]
    assert not message[0].islower() and message.endswith(".")


def test_all_bad_parameters_are_reported_together(client):
    body = get_json(
        client,
        "/api/v1/products?page=0&page_size=1000&min_price=1.234&sort=evil&in_stock=maybe",
        status=422,
    )

    assert body["errors"] == {
        "page": ["Input should be greater than or equal to 1."],
        "page_size": ["A page holds at most 100 items."],
        "min_price": ["The amount has more decimal places than the currency allows."],
        "in_stock": ["Input should be a valid boolean, unable to interpret input."],
        "sort": ["Input should be 'newest', 'price', '-price', 'name' or 'relevance'."],
    }


def test_the_largest_page_size_follows_the_setting(client, catalogue, settings):
    settings.MALLKIT_API_MAX_PAGE_SIZE = 2

    body = get_json(client, "/api/v1/products?page_size=3", status=422)

    assert body["errors"] == {"page_size": ["A page holds at most 2 items."]}
    assert len(get_json(client, "/api/v1/products?page_size=2")["items"]) == 2


@pytest.mark.parametrize(
    "q",
    [
        '"*()-:^',
        "' OR 1=1 --",
        "'; DROP TABLE catalog_product; --",
        'brass"',
        "brass*",
        "-brass",
        "^brass",
        "title:brass",
        "NEAR(brass lamp)",
        "brass AND OR NOT",
        "AND",
        "NOT brass",
        '"brass lamp"',
        "% _ \\",
        "{brass}",
        "brass:* & !lamp | (x)",
        "²³ ½",
        "___",
        "ǅ é ﬁ",
        "茶具 💡",
        "مصباح",
        " ".join(["brass"] * 33),
        "a" * 200,
    ],
)
def test_search_syntax_in_q_is_harmless(client, catalogue, q):
    response = client.get("/api/v1/products", {"q": q})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    assert body["count"] <= 1
    if body["count"]:
        assert slugs(body) == ["brass-desk-lamp"]


@pytest.mark.parametrize(
    "slug",
    ["a b", "lamp'--", "%E2%80%AE", "..", "x" * 500, "%F0%9F%92%A1", "a%00b", "brass-desk-lamp%20"],
)
def test_odd_product_slugs_answer_json_errors(client, catalogue, slug):
    response = client.get(f"/api/v1/products/{slug}")

    assert response.status_code in {404, 422}, response.content
    assert response.json()["code"] in {"not_found", "invalid"}


# Query budget ------------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def test_product_list_costs_the_same_queries_whatever_the_page_size(client):
    shelf = CategoryFactory(slug="shelf")
    for number in range(12):
        make_product(
            slug=f"lamp-{number}",
            categories=[shelf, CategoryFactory()],
            images=number % 3,
            variants=[{"stock": 1, "options": {"Colour": "Red"}}] + [{}] * (number % 4),
        )

    small = count_queries(client, "/api/v1/products?page_size=2")
    large = count_queries(client, "/api/v1/products?page_size=12")
    filtered_small = count_queries(
        client, "/api/v1/products?page_size=2&q=lamp&category=shelf&option=colour:red&in_stock=1"
    )
    filtered_large = count_queries(
        client, "/api/v1/products?page_size=12&q=lamp&category=shelf&option=colour:red&in_stock=1"
    )

    assert small == large <= 5
    assert filtered_small == filtered_large <= 7


def test_product_detail_costs_the_same_queries_whatever_its_size(client):
    make_product(slug="small", images=1, variants=[{"options": {"Colour": "Red"}}])
    make_product(
        slug="large",
        images=5,
        categories=[CategoryFactory(), CategoryFactory()],
        variants=[{"stock": n, "options": {"Colour": f"C{n}", "Size": f"S{n}"}} for n in range(6)],
    )

    small = count_queries(client, "/api/v1/products/small")
    large = count_queries(client, "/api/v1/products/large")

    assert small == large <= 5


def test_category_list_costs_one_query(client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get("/api/v1/categories")


def test_unicode_slugs_work(client):
    make_product(name="茶具", slug="茶具", variants=[{"price": Decimal("88.00")}])

    body = get_json(client, "/api/v1/products/茶具")

    assert (body["slug"], body["url"]) == ("茶具", "/products/%E8%8C%B6%E5%85%B7/")
    assert slugs(get_json(client, "/api/v1/products?q=茶具")) == ["茶具"]
