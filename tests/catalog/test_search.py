from decimal import Decimal

import pytest

from mallkit.catalog.search import terms
from mallkit.catalog.selectors import ProductFilters, list_products
from mallkit.catalog.services import refresh_products
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def product(name, *, description="", sku=None, category=None):
    item = ProductFactory(name=name, description=description)
    VariantFactory(product=item, price=Decimal("9.00"), **({"sku": sku} if sku else {}))
    if category:
        item.categories.add(category)
    refresh_products(product_ids=[item.pk])
    return item


def search(q):
    return [p.name for p in list_products(ProductFilters(q=q))]


def test_name_match_ranks_above_description_match():
    product("Garden Chair", description="<p>A sturdy seat for a kettle lover.</p>")
    product("Copper Kettle", description="<p>Boils water.</p>")

    assert search("kettle") == ["Copper Kettle", "Garden Chair"]


def test_search_matches_prefixes_skus_and_categories():
    lamps = CategoryFactory(name="Lighting")
    product("Brass Desk Lamp", sku="LAMP-0042", category=lamps)
    product("Wool Blanket", description="<p>Warm <strong>merino</strong> wool.</p>")

    assert search("bra") == ["Brass Desk Lamp"]
    assert search("lamp-0042") == ["Brass Desk Lamp"]
    assert search("lighting") == ["Brass Desk Lamp"]
    assert search("merino") == ["Wool Blanket"]
    assert search("merino lamp") == []


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "()",
        "-",
        ":",
        "^",
        "' OR 1=1 --",
        "NEAR(a b)",
        "a AND OR NOT",
        "\\",
        "%",
        "x" * 500,
    ],
)
def test_search_survives_operator_and_sql_characters(query):
    product("Plain Mug")
    assert isinstance(search(query), list)


def test_terms_are_limited_and_lowercase():
    assert terms("Brass  LAMP!! 42") == ["brass", "lamp", "42"]
    assert len(terms(" ".join(["w"] * 50))) == 8
