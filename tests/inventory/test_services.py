import pytest
from django.db import transaction
from django.db.models import Sum

from mallkit.core.cache import catalog_version
from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.inventory import services
from mallkit.inventory.models import StockLevel, StockMovement
from tests.concurrency import run_concurrently
from tests.factories import StockLevelFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def ledger_on_hand(variant_id):
    return (
        StockMovement.objects.filter(variant_id=variant_id).aggregate(total=Sum("on_hand_change"))[
            "total"
        ]
        or 0
    )


def test_adjust_stock_adds_and_writes_ledger_line():
    variant = VariantFactory()
    user = UserFactory(is_staff=True)

    movement = services.adjust_stock(
        variant_id=variant.pk, change=12, reason="received", user=user, note="Delivery 42"
    )

    stock = StockLevel.objects.get(variant=variant)
    assert (stock.on_hand, stock.allocated) == (12, 0)
    assert (movement.on_hand_change, movement.on_hand_after, movement.reason) == (
        12,
        12,
        "received",
    )
    assert movement.created_by == user
    assert movement.note == "Delivery 42"


def test_adjust_stock_refuses_to_go_below_allocated_and_changes_nothing():
    stock = StockLevelFactory(on_hand=5, allocated=3)

    with pytest.raises(services.InsufficientStock) as error:
        services.adjust_stock(variant_id=stock.variant_id, change=-3, reason="damaged")

    assert error.value.shortages[0].available == 2
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (5, 3)
    assert not StockMovement.objects.filter(variant_id=stock.variant_id).exists()


@pytest.mark.parametrize("change", [0, 1.5, "3", True])
def test_adjust_stock_refuses_bad_change(change):
    variant = VariantFactory()
    with pytest.raises(ValidationFailed):
        services.adjust_stock(variant_id=variant.pk, change=change, reason="received")
    assert not StockMovement.objects.exists()


def test_adjust_stock_refuses_unknown_reason():
    variant = VariantFactory()
    with pytest.raises(ValidationFailed):
        services.adjust_stock(variant_id=variant.pk, change=1, reason="stolen-by-elves")


def test_set_stock_records_the_difference():
    stock = StockLevelFactory(on_hand=10)
    services.adjust_stock(variant_id=stock.variant_id, change=0 + 4, reason="received")

    movement = services.set_stock(variant_id=stock.variant_id, on_hand=6)

    assert movement.on_hand_change == -8
    assert StockLevel.objects.get(pk=stock.pk).on_hand == 6
    assert services.set_stock(variant_id=stock.variant_id, on_hand=6) is None


def test_set_stock_cannot_go_below_allocated():
    stock = StockLevelFactory(on_hand=10, allocated=4)
    with pytest.raises(services.InsufficientStock):
        services.set_stock(variant_id=stock.variant_id, on_hand=3)
    assert StockLevel.objects.get(pk=stock.pk).on_hand == 10


@pytest.mark.parametrize("value", [-1, 2.5, None])
def test_set_stock_refuses_bad_values(value):
    stock = StockLevelFactory(on_hand=10)
    with pytest.raises(ValidationFailed):
        services.set_stock(variant_id=stock.variant_id, on_hand=value)


def test_allocate_is_all_or_nothing_and_lists_every_shortage():
    a = StockLevelFactory(on_hand=5)
    b = StockLevelFactory(on_hand=1)
    c = StockLevelFactory(on_hand=0)

    with pytest.raises(services.InsufficientStock) as error:
        services.allocate_stock(
            quantities={a.variant_id: 2, b.variant_id: 3, c.variant_id: 1}, reference="1001"
        )

    short = {(s.variant_id, s.requested, s.available, s.missing) for s in error.value.shortages}
    assert short == {(b.variant_id, 3, 1, 2), (c.variant_id, 1, 0, 1)}
    assert StockLevel.objects.get(pk=a.pk).allocated == 0
    assert not StockMovement.objects.exists()


def test_allocate_release_and_ship_keep_the_books():
    stock = StockLevelFactory(on_hand=10)
    vid = stock.variant_id

    services.allocate_stock(quantities={vid: 4}, reference="1001")
    services.release_stock(quantities={vid: 1}, reference="1001")
    services.ship_stock(quantities={vid: 3}, reference="1001")

    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (7, 0)
    reasons = list(
        StockMovement.objects.filter(variant_id=vid)
        .order_by("id")
        .values_list("reason", "on_hand_change", "allocated_change")
    )
    assert reasons == [("allocated", 0, 4), ("released", 0, -1), ("shipped", -3, -3)]
    with pytest.raises(Conflict):
        services.release_stock(quantities={vid: 1})
    with pytest.raises(Conflict):
        services.ship_stock(quantities={vid: 1})


def test_ledger_sums_equal_stock_after_many_changes():
    variant = VariantFactory()
    for change, reason in [(20, "initial"), (-2, "damaged"), (5, "received"), (1, "returned")]:
        services.adjust_stock(variant_id=variant.pk, change=change, reason=reason)
    services.set_stock(variant_id=variant.pk, on_hand=17)
    assert ledger_on_hand(variant.pk) == StockLevel.objects.get(variant=variant).on_hand == 17


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_never_lose_an_update():
    variant = VariantFactory()
    services.ensure_stock_levels(variant_ids=[variant.pk])

    outcomes = run_concurrently(
        lambda: services.adjust_stock(variant_id=variant.pk, change=3, reason="received"),
        [()] * 8,
    )

    assert [exc for _, exc in outcomes if exc] == []
    assert StockLevel.objects.get(variant=variant).on_hand == 24
    assert ledger_on_hand(variant.pk) == 24


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_oversell():
    stock = StockLevelFactory(on_hand=5)

    outcomes = run_concurrently(
        lambda: services.allocate_stock(quantities={stock.variant_id: 1}), [()] * 12
    )

    errors = [exc for _, exc in outcomes if exc]
    assert len(errors) == 7
    assert all(isinstance(exc, services.InsufficientStock) for exc in errors)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (5, 5)


def test_a_shortage_inside_a_transaction_gives_back_what_was_taken_and_keeps_it_usable():
    taken_first = StockLevelFactory(on_hand=5)
    short = StockLevelFactory(on_hand=1)

    with transaction.atomic():
        with pytest.raises(services.InsufficientStock):
            services.allocate_stock(
                quantities={taken_first.variant_id: 2, short.variant_id: 3}, reference="1002"
            )
        # The caller's transaction goes on: a checkout that falls back to another basket, a
        # staff edit that tries again with less.
        services.allocate_stock(quantities={taken_first.variant_id: 1}, reference="1003")

    assert StockLevel.objects.get(pk=taken_first.pk).allocated == 1
    assert StockLevel.objects.get(pk=short.pk).allocated == 0
    assert list(StockMovement.objects.values_list("reference", "allocated_change")) == [("1003", 1)]


def test_allocating_records_the_row_as_the_update_left_it():
    stock = StockLevelFactory(on_hand=10, allocated=4)

    services.allocate_stock(quantities={stock.variant_id: 3}, reference="MK-1")

    movement = StockMovement.objects.get()
    assert (movement.on_hand_after, movement.allocated_after, movement.allocated_change) == (
        10,
        7,
        3,
    )
    assert movement.reason == services.Reason.ALLOCATED


def test_allocating_into_low_stock_moves_the_catalogue_version():
    stock = StockLevelFactory(on_hand=20, low_stock_threshold=5)
    before = catalog_version()
    services.allocate_stock(quantities={stock.variant_id: 10})
    assert catalog_version() == before  # 10 left: still "in stock" on the pages
    services.allocate_stock(quantities={stock.variant_id: 5})
    assert catalog_version() != before  # 5 left: "only 5 left"
