from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mallkit.catalog import selectors
from mallkit.catalog.models import Product
from mallkit.catalog.selectors import ProductFilters
from mallkit.catalog.services import refresh_products
from tests.factories import (
    CategoryFactory,
    OptionValueFactory,
    ProductFactory,
    ProductImageFactory,
    StockLevelFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def product(name, price, *, stock=5, category=None, values=(), **kwargs):
    item = ProductFactory(name=name, **kwargs)
    variant = VariantFactory(product=item, price=Decimal(price))
    if values:
        variant.option_values.set(values)
    StockLevelFactory(variant=variant, on_hand=stock)
    if category is not None:
        item.categories.add(category)
    refresh_products(product_ids=[item.pk])
    return item


def names(queryset):
    return [p.name for p in queryset]


def test_visible_products_hide_drafts_archived_and_future_publishing():
    now = timezone.now()
    product("Live", "1.00")
    product("Soon", "1.00", status=Product.Status.COMING_SOON, published_at=None)
    product("Draft", "1.00", status=Product.Status.DRAFT)
    product("Archived", "1.00", status=Product.Status.ARCHIVED)
    product("Tomorrow", "1.00", published_at=now + timedelta(days=1))

    assert sorted(names(selectors.visible_products())) == ["Live", "Soon"]


def test_category_filter_includes_subcategories():
    parent = CategoryFactory(name="Home")
    child = CategoryFactory(name="Kitchen", parent=parent)
    other = CategoryFactory(name="Toys")
    product("Kettle", "20.00", category=child)
    product("Rug", "50.00", category=parent)
    product("Kite", "9.00", category=other)

    found = selectors.list_products(ProductFilters(category=parent, sort="name"))

    assert names(found) == ["Kettle", "Rug"]


def test_price_stock_and_option_filters_and_sorting():
    red = OptionValueFactory(value="Red")
    blue = OptionValueFactory(value="Blue")
    product("Alpha", "30.00", values=[red])
    product("Bravo", "10.00", values=[blue], stock=0)
    product("Charlie", "20.00", values=[red])

    def listed(**kwargs):
        return names(selectors.list_products(ProductFilters(**kwargs)))

    assert listed(sort="price") == ["Bravo", "Charlie", "Alpha"]
    assert listed(sort="-price") == ["Alpha", "Charlie", "Bravo"]
    assert listed(sort="name") == ["Alpha", "Bravo", "Charlie"]
    assert listed(sort="name", min_price=Decimal("15"), max_price=Decimal("25")) == ["Charlie"]
    assert listed(sort="name", in_stock=True) == ["Alpha", "Charlie"]
    assert listed(sort="name", options={"colour": ["blue"]}) == ["Bravo"]
    assert listed(sort="name", options={"colour": ["blue", "red"]}) == ["Alpha", "Bravo", "Charlie"]


def test_facets_count_each_choice_given_the_other_filters():
    red = OptionValueFactory(value="Red")
    blue = OptionValueFactory(value="Blue")
    product("Alpha", "30.00", values=[red])
    product("Bravo", "10.00", values=[blue], stock=0)
    product("Charlie", "20.00", values=[red])

    result = selectors.facets(ProductFilters(options={"colour": ["red"]}, in_stock=False))

    (colour,) = result["options"]
    counts = {value.value: (count, selected) for value, count, selected in colour.values}
    # Counts for colour ignore the colour filter itself, so shoppers see how many blue exist.
    assert counts == {"Red": (2, True), "Blue": (1, False)}
    assert result["in_stock_count"] == 2


def test_home_sections():
    now = timezone.now()
    product("Old featured", "1.00", is_featured=True, published_at=now - timedelta(days=90))
    product("Fresh", "1.00", published_at=now - timedelta(days=2))
    product("Soon", "1.00", status=Product.Status.COMING_SOON, published_at=None)
    CategoryFactory(name="Top")

    sections = selectors.home_sections()

    assert names(sections["featured"]) == ["Old featured"]
    assert names(sections["new_arrivals"]) == ["Fresh"]
    assert names(sections["coming_soon"]) == ["Soon"]
    assert [c.name for c in sections["categories"]] == ["Top"]
    assert sections["new_arrivals"][0].is_new is True
    assert sections["featured"][0].is_new is False


def test_product_detail_and_breadcrumbs():
    root = CategoryFactory(name="Clothing")
    shirts = CategoryFactory(name="Shirts", parent=root)
    item = product("Oxford", "45.00", category=shirts)

    found = selectors.product_detail(slug=item.slug)

    assert found == item
    assert [c.name for c in selectors.breadcrumbs(found)] == ["Clothing", "Shirts"]
    assert found.variants.all()[0].in_stock is True
    assert selectors.product_detail(slug="missing") is None


def test_list_query_count_does_not_grow_with_rows(django_assert_max_num_queries):
    def build(count):
        for i in range(count):
            item = product(f"P{i}", "5.00")
            ProductImageFactory(product=item)
            ProductImageFactory(product=item)
            VariantFactory(product=item)

    build(2)
    with django_assert_max_num_queries(3):
        list(selectors.list_products(ProductFilters()))
    build(10)
    with django_assert_max_num_queries(3):
        assert len(list(selectors.list_products(ProductFilters()))) == 12
