"""Variant snapshots: what cart and order lines show, cached until the catalogue changes."""

import pytest
from django.core.cache import cache

from mallkit.catalog.images import reorder_product_images
from mallkit.catalog.services import update_product
from mallkit.catalog.snapshots import variant_snapshots
from tests.factories import (
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    ProductImageFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.MALLKIT_PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def _shirt():
    product = ProductFactory(name="Linen Shirt")
    size = OptionFactory(name="Size", position=2)
    colour = OptionFactory(name="Colour", position=1)
    variant = VariantFactory(product=product, sku="LIN-RED-M")
    # Added size first: the label follows the options' positions, not the order of adding.
    variant.option_values.add(
        OptionValueFactory(option=size, value="M"), OptionValueFactory(option=colour, value="Red")
    )
    return product, variant


def test_a_snapshot_holds_the_names_label_and_first_picture():
    product, variant = _shirt()
    later = ProductImageFactory(product=product, position=2)
    first = ProductImageFactory(product=product, position=1)
    plain = VariantFactory(product=ProductFactory(name="Mug"), sku="MUG")

    snapshots = variant_snapshots(variant_ids=[variant.pk, plain.pk, 999_999])

    assert set(snapshots) == {variant.pk, plain.pk}
    shirt = snapshots[variant.pk]
    assert (shirt.product_name, shirt.product_slug, shirt.sku, shirt.label) == (
        "Linen Shirt",
        product.slug,
        "LIN-RED-M",
        "Red / M",
    )
    assert shirt.label == variant.label
    assert shirt.image == first.image.name != later.image.name
    assert (snapshots[plain.pk].label, snapshots[plain.pk].image) == ("", "")


def test_cached_snapshots_need_no_query(cached, django_assert_num_queries):
    _product, variant = _shirt()
    with django_assert_num_queries(3):
        variant_snapshots(variant_ids=[variant.pk])
    with django_assert_num_queries(0):
        assert variant_snapshots(variant_ids=[variant.pk])[variant.pk].label == "Red / M"


def test_a_rename_through_the_service_shows_at_once(cached):
    product, variant = _shirt()
    assert variant_snapshots(variant_ids=[variant.pk])[variant.pk].product_name == "Linen Shirt"

    update_product(product=product, changes={"name": "Hemp Shirt"})

    assert variant_snapshots(variant_ids=[variant.pk])[variant.pk].product_name == "Hemp Shirt"


def test_reordered_pictures_show_at_once(cached):
    product, variant = _shirt()
    first = ProductImageFactory(product=product, position=1)
    second = ProductImageFactory(product=product, position=2)
    assert variant_snapshots(variant_ids=[variant.pk])[variant.pk].image == first.image.name

    reorder_product_images(product=product, image_ids=[second.pk, first.pk])

    assert variant_snapshots(variant_ids=[variant.pk])[variant.pk].image == second.image.name


def test_nothing_asked_nothing_read(cached, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert variant_snapshots(variant_ids=[]) == {}
