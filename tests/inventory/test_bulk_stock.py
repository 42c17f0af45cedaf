"""The bulk stock services the product import uses."""

import pytest

from mallkit.core.errors import ValidationFailed
from mallkit.inventory import services
from mallkit.inventory.models import StockLevel, StockMovement
from tests.factories import StockLevelFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_set_stock_levels_writes_each_difference_to_the_ledger():
    user = UserFactory(is_staff=True)
    counted = StockLevelFactory(on_hand=10, allocated=2)
    same = StockLevelFactory(on_hand=5)
    bare = VariantFactory()  # no stock level yet

    lines = services.set_stock_levels(
        on_hand={counted.variant_id: 4, same.variant_id: 5, bare.pk: 7}, user=user
    )

    assert lines == 2
    assert dict(StockLevel.objects.values_list("variant_id", "on_hand")) == {
        counted.variant_id: 4,
        same.variant_id: 5,
        bare.pk: 7,
    }
    assert sorted(
        StockMovement.objects.values_list(
            "variant_id", "on_hand_change", "on_hand_after", "allocated_after", "reason"
        )
    ) == sorted(
        [
            (counted.variant_id, -6, 4, 2, "correction"),
            (bare.pk, 7, 7, 0, "correction"),
        ]
    )
    assert set(StockMovement.objects.values_list("created_by", flat=True)) == {user.pk}


def test_set_stock_levels_refuses_counts_below_allocated_and_changes_nothing():
    short = StockLevelFactory(on_hand=10, allocated=6)
    fine = StockLevelFactory(on_hand=1)

    with pytest.raises(services.InsufficientStock) as error:
        services.set_stock_levels(on_hand={short.variant_id: 5, fine.variant_id: 3})

    assert [(s.variant_id, s.requested, s.available) for s in error.value.shortages] == [
        (short.variant_id, 6, 5)
    ]
    assert dict(StockLevel.objects.values_list("variant_id", "on_hand")) == {
        short.variant_id: 10,
        fine.variant_id: 1,
    }
    assert StockMovement.objects.count() == 0


@pytest.mark.parametrize("count", [-1, 1.5, "3", True])
def test_set_stock_levels_refuses_what_is_not_a_count(count):
    level = StockLevelFactory(on_hand=1)

    with pytest.raises(ValidationFailed):
        services.set_stock_levels(on_hand={level.variant_id: count})

    assert StockLevel.objects.get().on_hand == 1


def test_set_low_stock_thresholds_in_bulk():
    first, second = StockLevelFactory(), StockLevelFactory()
    bare = VariantFactory()

    services.set_low_stock_thresholds(
        thresholds={first.variant_id: 0, second.variant_id: 9, bare.pk: 9}
    )

    assert dict(StockLevel.objects.values_list("variant_id", "low_stock_threshold")) == {
        first.variant_id: 0,
        second.variant_id: 9,
        bare.pk: 9,
    }
    with pytest.raises(ValidationFailed):
        services.set_low_stock_thresholds(thresholds={first.variant_id: -1})
