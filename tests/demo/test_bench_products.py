"""`manage.py seed_demo --products N`: generated products in bulk for benchmarks."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from mallkit.catalog.models import Category, Product, ProductImage, Variant
from mallkit.catalog.selectors import ProductFilters, list_products
from mallkit.inventory.models import StockLevel, StockMovement
from tests.demo.counts import table_counts

pytestmark = pytest.mark.django_db


def seed(*args):
    output = StringIO()
    call_command("seed_demo", *args, stdout=output)
    return output.getvalue()


def test_adds_exactly_the_products_asked_for_and_they_are_searchable():
    output = seed("--products", "300")

    assert Product.objects.count() == 300
    assert "Added 300 products" in output
    assert Category.objects.count() == 15
    product = Product.objects.filter(status="active").order_by("id").first()
    word = product.name.split()[0]
    found = list_products(ProductFilters(q=word))
    assert product in found
    assert all(word.lower() in p.name.lower() or word.lower() in p.search_body for p in found)
    sku = product.variants.first().sku
    assert list(list_products(ProductFilters(q=sku))) == [product]


def test_bulk_products_have_variants_stock_and_shared_pictures():
    seed("--products", "300")

    assert not Product.objects.annotate(n=Count("variants")).filter(n=0).exists()
    ledger = dict(
        StockMovement.objects.values("variant_id")
        .annotate(total=Sum("on_hand_change"))
        .values_list("variant_id", "total")
    )
    levels = dict(StockLevel.objects.values_list("variant_id", "on_hand"))
    assert len(levels) == Variant.objects.count()
    assert {vid: on_hand for vid, on_hand in levels.items() if on_hand} == ledger
    assert ProductImage.objects.count() == 300
    shared = ProductImage.objects.values("image").distinct().count()
    assert 1 < shared <= 48
    assert not Product.objects.filter(price_from__isnull=True).exists()


def test_running_twice_adds_more_with_new_slugs_and_skus():
    seed("--products", "120")
    seed("--products", "120", "--no-pictures")

    assert Product.objects.count() == 240
    assert Product.objects.values("slug").distinct().count() == 240
    assert Variant.objects.values("sku").distinct().count() == Variant.objects.count()
    assert ProductImage.objects.count() == 120
    assert Category.objects.count() == 15


def test_adds_to_a_loaded_demo_shop():
    seed("--no-pictures")
    before = Product.objects.count()

    seed("--products", "50", "--no-pictures")

    assert Product.objects.count() == before + 50
    assert "Demo shop already loaded" in seed()


@pytest.mark.parametrize("value", ["-5", "0", "abc", "2.5", "1000001"])
def test_bad_product_counts_are_refused_and_change_nothing(value):
    before = table_counts()

    with pytest.raises(CommandError, match="--products"):
        seed("--products", value)

    assert table_counts() == before
