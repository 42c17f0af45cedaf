"""core.db's compiled reads, prepared inserts and loaded instances: what the ORM would do."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mallkit.catalog.models import Product, Variant
from mallkit.core.db import CompiledQuery, insert, loaded
from mallkit.orders.models import Order, OrderEvent
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def by_product(product_id, sku):
    return (
        Variant.objects.filter(product_id=product_id, sku=sku)
        .order_by()
        .values_list("pk", "price", "product__name", "product__published_at")
    )


def test_a_compiled_query_answers_what_the_orm_answers_with_each_call_s_values():
    published = timezone.now() - timedelta(days=1)
    first = VariantFactory(price=Decimal("12.50"), product=ProductFactory(published_at=published))
    second = VariantFactory(price=Decimal("3.05"))
    query = CompiledQuery(Variant, by_product, ints=("product_id",), strs=("sku",))

    for variant in (first, second):
        rows = query.rows(product_id=variant.product_id, sku=variant.sku)
        assert rows == list(by_product(variant.product_id, variant.sku))
    # Decimals and aware datetimes, on SQLite as on PostgreSQL.
    (_pk, price, _name, when), *_rest = query.rows(product_id=first.product_id, sku=first.sku)
    assert (price, when) == (Decimal("12.50"), published)
    assert isinstance(price, Decimal)
    assert query.rows(product_id=first.product_id, sku=second.sku) == []


def test_a_compiled_query_is_built_once_and_runs_one_statement():
    variant = VariantFactory()
    built = []

    def build(product_id, sku):
        built.append(True)
        return by_product(product_id, sku)

    query = CompiledQuery(Variant, build, ints=("product_id",), strs=("sku",))
    query.rows(product_id=variant.product_id, sku=variant.sku)
    with CaptureQueriesContext(connection) as queries:
        rows = query.rows(product_id=variant.product_id, sku=variant.sku)

    assert built == [True]
    assert len(queries) == 1
    assert [row[0] for row in rows] == [variant.pk]


def test_list_arguments_compile_once_per_length_and_an_empty_list_reads_nothing():
    variants = [VariantFactory() for _ in range(3)]
    query = CompiledQuery(
        Variant,
        lambda ids: Variant.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "sku"),
        int_lists=("ids",),
    )

    assert query.rows(ids=[variants[2].pk, variants[0].pk]) == [
        (variants[0].pk, variants[0].sku),
        (variants[2].pk, variants[2].sku),
    ]
    assert [pk for pk, _sku in query.rows(ids=[v.pk for v in variants])] == sorted(
        v.pk for v in variants
    )
    with CaptureQueriesContext(connection) as queries:
        assert query.rows(ids=[]) == []
    assert len(queries) == 0


def test_an_argument_that_shapes_the_query_is_refused():
    # The parameter is "%sample%", not the sample: the caller's value would never reach it.
    query = CompiledQuery(
        Variant,
        lambda sku: Variant.objects.filter(sku__contains=sku).values_list("pk"),
        strs=("sku",),
    )
    with pytest.raises(TypeError, match="no parameter carries"):
        query.rows(sku="A")
    with pytest.raises(TypeError, match="values_list"):
        CompiledQuery(Variant, lambda pk: Variant.objects.filter(pk=pk), ints=("pk",)).rows(pk=1)


def order(**fields):
    values = {
        "number": "MK-TEST001",
        "email": "ada@example.com",
        "currency": "USD",
        "subtotal": Decimal("10.00"),
        "total": Decimal("10.00"),
    }
    return Order(**values | fields)


def test_insert_writes_the_rows_save_would_and_sets_their_keys():
    placed = order()
    events = [
        OrderEvent(order=placed, type=OrderEvent.Type.PLACED, message="one"),
        OrderEvent(order=placed, type=OrderEvent.Type.CONFIRMED, message="two", data={"a": 1}),
    ]
    with CaptureQueriesContext(connection) as queries:
        insert([placed])
        # The events were made before the order had a key: they take it now, as with save().
        insert(events)

    assert len(queries) == 2
    stored = Order.objects.get()
    assert stored.pk == placed.pk and not placed._state.adding
    # Defaults and auto_now_add as save() would set them.
    assert (stored.status, stored.total, stored.created_at) == (
        Order.Status.PENDING,
        Decimal("10.00"),
        placed.created_at,
    )
    assert placed.created_at is not None
    assert list(OrderEvent.objects.order_by("pk").values_list("pk", "order_id", "data")) == [
        (events[0].pk, placed.pk, {}),
        (events[1].pk, placed.pk, {"a": 1}),
    ]


def test_insert_refuses_saved_objects_and_unsaved_relations():
    placed = order()
    insert([placed])
    with pytest.raises(TypeError, match="without primary keys"):
        insert([placed])
    with pytest.raises(ValueError, match="unsaved related object"):
        insert([OrderEvent(order=order(number="MK-TEST002"), type=OrderEvent.Type.PLACED)])
    insert([])
    assert Order.objects.count() == 1


def test_loaded_makes_an_instance_whose_other_fields_load_when_read():
    variant = VariantFactory(sku="LOADED-1", price=Decimal("4.00"))

    found = loaded(Variant, "default", {"product_id": variant.product_id, "id": variant.pk})

    assert (found.pk, found.product_id, found._state.adding) == (
        variant.pk,
        variant.product_id,
        False,
    )
    with CaptureQueriesContext(connection) as queries:
        assert (found.sku, found.price) == ("LOADED-1", Decimal("4.00"))
    assert len(queries) == 2  # each deferred field loads on first read
    with pytest.raises(TypeError, match="Unknown attributes"):
        loaded(Product, "default", {"id": 1, "colour": "red"})
