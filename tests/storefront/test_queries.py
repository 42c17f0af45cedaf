"""Query budget (ARCHITECTURE rule 9): a page costs the same number of queries whether it shows
one product or a full page of them, with one picture and variant or many."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mallkit.catalog.models import Product

from .factories import CategoryFactory, ProductImageFactory, make_product

pytestmark = pytest.mark.django_db


def queries(client, url, data=None) -> int:
    # The first visit makes the picture renditions (written once, like any upload); the budget
    # is what every later visit costs.
    assert client.get(url, data).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, data).status_code == 200
    return len(captured)


def catalogue(category, *, products, pictures, variants):
    """Featured new products, and as many coming soon, so every home page shelf is filled."""
    for number in range(products * 2):
        soon = number >= products
        product = make_product(
            f"Teapot {number}",
            categories=[category],
            is_featured=True,
            status=Product.Status.COMING_SOON if soon else Product.Status.ACTIVE,
            published_at=None if soon else timezone.now() - timedelta(days=1),
            variants=[
                {"price": f"{10 + size}.00", "options": {"Colour": "Green", "Size": f"S{size}"}}
                for size in range(variants)
            ],
        )
        for position in range(pictures):
            ProductImageFactory(product=product, position=position)


@pytest.fixture
def small(settings):
    category = CategoryFactory(name="Kitchen", slug="kitchen")
    catalogue(category, products=1, pictures=1, variants=1)
    return category


PAGES = [
    ("/", None, 11),
    ("/categories/kitchen/", None, 17),
    ("/categories/kitchen/", {"colour": "green", "in_stock": "1", "sort": "price"}, 17),
    ("/search/", {"q": "teapot"}, 10),
    ("/search/", {"q": "teapot", "size": ["s0", "s1"], "page": "2"}, 10),
]


@pytest.mark.parametrize(("url", "data", "budget"), PAGES)
def test_listing_pages_cost_the_same_for_one_or_many_products(client, small, url, data, budget):
    few = queries(client, url, data)
    Product.objects.all().delete()
    catalogue(small, products=10, pictures=3, variants=4)
    many = queries(client, url, data)

    assert few == many
    assert many <= budget


def test_product_page_costs_the_same_for_one_or_many_pictures_and_variants(client, small):
    one = Product.objects.filter(status=Product.Status.ACTIVE).get()
    rich = make_product(
        "Big Teapot",
        categories=[small],
        variants=[
            {"price": f"{10 + n}.00", "options": {"Colour": f"C{n}", "Size": f"S{n}"}}
            for n in range(6)
        ],
    )
    for position in range(5):
        ProductImageFactory(product=rich, position=position)

    simple = queries(client, f"/products/{one.slug}/")
    detailed = queries(client, f"/products/{rich.slug}/")

    assert simple == detailed
    assert detailed <= 6
