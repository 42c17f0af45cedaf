"""Filters, facet counts, sorting and pagination of category (and search) lists."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from .factories import CategoryFactory, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirts():
    """Four products of one category with colours, sizes, prices and stock that differ."""
    category = CategoryFactory(name="Shirts")
    now = timezone.now()

    def shirt(name, price, days_ago, variants):
        return make_product(
            name,
            price,
            categories=[category],
            published_at=now - timedelta(days=days_ago),
            variants=[{"price": price, **variant} for variant in variants],
        )

    shirt(
        "Oxford",
        "40.00",
        4,
        [
            {"options": {"Colour": "Red", "Size": "M"}, "stock": 3},
            {"options": {"Colour": "Blue", "Size": "L"}, "stock": 0},
        ],
    )
    shirt("Linen", "55.00", 3, [{"options": {"Colour": "Blue", "Size": "M"}, "stock": 0}])
    shirt("Flannel", "29.90", 2, [{"options": {"Colour": "Green", "Size": "S"}, "stock": 8}])
    shirt("Denim", "70.00", 1, [{"options": {"Colour": "Red", "Size": "L"}, "stock": 1}])
    return category


def listing(client, category, query=None):
    response = client.get(f"/categories/{category.slug}/", query or {})
    assert response.status_code == 200
    return response


def names(response):
    return [product.name for product in response.context["products"]]


def counts(response):
    """Each filter choice's count as the page shows it: {"colour=red": 2, "in_stock": 3}."""
    facets = response.context["facets"]
    found = {"in_stock": facets["in_stock_count"]}
    for facet in facets["options"]:
        for value, count, _selected in facet.values:
            found[f"{facet.option.slug}={value.slug}"] = count
    html = response.content.decode()
    for key, count in found.items():
        assert f'data-count="{key}">{count}</span>' in html
    return found


def test_counts_without_filters(client, shirts):
    response = listing(client, shirts)

    assert names(response) == ["Denim", "Flannel", "Linen", "Oxford"]
    assert counts(response) == {
        "in_stock": 3,
        "colour=red": 2,
        "colour=blue": 2,
        "colour=green": 1,
        "size=s": 1,
        "size=m": 2,
        "size=l": 2,
    }


def test_values_of_one_option_add_up_and_other_options_narrow(client, shirts):
    response = listing(client, shirts, {"colour": ["red", "blue"], "size": "m"})

    assert names(response) == ["Linen", "Oxford"]
    assert counts(response) == {
        "in_stock": 1,
        # A colour's count keeps the size filter but not the colour one, so a shopper sees what
        # ticking it would add. Options match per variant: Oxford's blue is an L, not an M.
        "colour=red": 1,
        "colour=blue": 1,
        "colour=green": 0,
        "size=s": 0,
        "size=m": 2,
        "size=l": 2,
    }
    html = response.content.decode()
    assert '<input type="checkbox" name="colour" value="red" checked>' in html
    assert '<input type="checkbox" name="colour" value="green" disabled>' in html


def test_options_match_one_variant_not_the_product_as_a_whole(client, shirts):
    # Oxford comes in red M and blue L: it has no blue M to sell.
    response = listing(client, shirts, {"colour": "blue", "size": "m"})

    assert names(response) == ["Linen"]
    assert counts(response)["colour=red"] == 1  # Oxford's red M
    assert counts(response)["size=l"] == 1  # Oxford's blue L


def test_in_stock_only(client, shirts):
    response = listing(client, shirts, {"in_stock": "1"})

    assert names(response) == ["Denim", "Flannel", "Oxford"]
    # Oxford is in stock in red only, and Linen's blue is sold out: no blue is in stock.
    assert counts(response)["colour=blue"] == 0
    assert counts(response)["colour=red"] == 2
    assert names(listing(client, shirts, {"in_stock": "1", "colour": "blue"})) == []
    assert '<input type="checkbox" name="in_stock" value="1" checked>' in response.content.decode()


def test_price_range(client, shirts):
    response = listing(client, shirts, {"min_price": "30", "max_price": "60"})

    assert names(response) == ["Linen", "Oxford"]
    assert response.context["form"].filters().min_price == Decimal("30")


def test_price_range_typed_the_wrong_way_round_still_works(client, shirts):
    response = listing(client, shirts, {"min_price": "60", "max_price": "30"})

    assert names(response) == ["Linen", "Oxford"]


def test_bad_price_is_ignored_with_a_message_beside_the_field(client, shirts):
    response = listing(client, shirts, {"min_price": "abc", "max_price": "50", "colour": "red"})

    assert names(response) == ["Oxford"]
    html = response.content.decode()
    assert '<p class="field-error">From: Enter a number.</p>' in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Denim", "Flannel", "Linen", "Oxford"]),
        ("price", ["Flannel", "Oxford", "Linen", "Denim"]),
        ("-price", ["Denim", "Linen", "Oxford", "Flannel"]),
        ("name", ["Denim", "Flannel", "Linen", "Oxford"]),
        ("cheapest-first", ["Denim", "Flannel", "Linen", "Oxford"]),
        ("relevance", ["Denim", "Flannel", "Linen", "Oxford"]),
    ],
)
def test_sorting(client, shirts, sort, expected):
    response = listing(client, shirts, {"sort": sort})

    assert names(response) == expected


def test_sort_keeps_the_filters(client, shirts):
    response = listing(client, shirts, {"sort": "-price", "in_stock": "1"})

    assert names(response) == ["Denim", "Oxford", "Flannel"]
    assert '<option value="-price" selected>' in response.content.decode()


def test_applied_filters_are_removable_chips(client, shirts):
    response = listing(
        client, shirts, {"colour": ["red", "blue"], "in_stock": "1", "sort": "name", "page": "1"}
    )

    chips = response.context["chips"]
    assert [chip["label"] for chip in chips] == ["In stock only", "Colour: Red", "Colour: Blue"]
    assert chips[0]["url"] == "?colour=red&colour=blue&sort=name"
    assert chips[1]["url"] == "?colour=blue&in_stock=1&sort=name"
    assert response.context["form"].clear_url() == "?sort=name"


def test_parameters_that_are_not_filters_are_ignored(client, shirts):
    response = listing(client, shirts, {"utm_source": "newsletter", "fbclid": "x"})

    assert len(names(response)) == 4
    assert response.context["chips"] == []


@pytest.fixture
def thirty(settings):
    settings.MALLKIT_PAGE_SIZE = 12
    category = CategoryFactory(name="Mugs")
    now = timezone.now()
    for number in range(30):
        make_product(
            f"Mug {number:02d}", categories=[category], published_at=now - timedelta(hours=number)
        )
    return category


def test_pages_hold_the_configured_number_of_products(client, thirty):
    first = listing(client, thirty)
    third = listing(client, thirty, {"page": "3"})

    assert names(first) == [f"Mug {n:02d}" for n in range(12)]
    assert names(third) == [f"Mug {n:02d}" for n in range(24, 30)]
    html = first.content.decode()
    assert '<a class="pagination__step" href="?page=2" rel="next">Next</a>' in html
    assert '<span class="pagination__page is-current" aria-current="page">1</span>' in html


def test_pagination_links_keep_the_filters(client, thirty):
    html = listing(client, thirty, {"sort": "name", "page": "2"}).content.decode()

    assert 'href="?sort=name&amp;page=3" rel="next"' in html
    assert 'href="?sort=name&amp;page=1" rel="prev"' in html


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("-3", 1),
        ("0", 1),
        ("abc", 1),
        ("", 1),
        ("2.5", 1),
        ("999999", 3),
        ("4", 3),
        ("99999999999999999999999999", 3),
    ],
)
def test_bad_page_numbers_show_the_first_or_the_last_page(client, thirty, page, shown):
    response = listing(client, thirty, {"page": page})

    assert response.context["page_obj"].number == shown


@pytest.mark.parametrize(
    "query",
    [
        "min_price=abc",
        "min_price=-5",
        "min_price=NaN",
        "max_price=Infinity",
        "min_price=1e400",
        "max_price=12.345",
        "min_price=99999999999999999999",
        "in_stock=maybe",
        "sort=__class__",
        "sort=",
        "colour=",
        "colour=%00",
        "colour=<script>",
        "colour=" + "x" * 500,
        "size=m&size=m&size=m",
        "page=-1&sort=price&min_price=abc",
        "q=tea",
        "page=%F0%9F%8D%B5",
        "min_price=%00",
    ],
)
def test_bad_input_never_breaks_the_page(client, shirts, query):
    response = client.get(f"/categories/{shirts.slug}/?{query}")

    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main")[1]


def test_a_card_of_a_filtered_list_opens_its_product_with_the_chosen_options(client, shirts):
    response = listing(client, shirts, {"colour": "red", "size": "m"})

    html = response.content.decode()
    assert names(response) == ["Oxford"]
    oxford = response.context["products"][0]
    assert f'href="{oxford.get_absolute_url()}?colour=red&amp;size=m"' in html
    page = client.get(f"{oxford.get_absolute_url()}?colour=red&size=m")
    assert page.context["variant"].label == "Red / M"
    # Two colours ticked pick none on the product page.
    html = listing(client, shirts, {"colour": ["red", "blue"], "size": "m"}).content.decode()
    assert f'href="{oxford.get_absolute_url()}?size=m"' in html
