from decimal import Decimal

import pytest

from mallkit.catalog.models import Variant
from mallkit.core.db import update_each
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db


def test_update_each_sets_each_row_to_its_own_values_and_counts_matches():
    first, second = VariantFactory(price=Decimal("1.00")), VariantFactory(price=Decimal("2.00"))

    updated = update_each(
        Variant,
        fields=("price", "weight"),
        keys=("id", "price"),
        rows=[
            (Decimal("1.50"), Decimal("0.250"), first.pk, Decimal("1.00")),
            (Decimal("9.00"), None, second.pk, Decimal("7.00")),  # the price read is stale
        ],
    )

    assert updated == 1
    assert list(Variant.objects.order_by("pk").values_list("price", "weight")) == [
        (Decimal("1.50"), Decimal("0.250")),
        (Decimal("2.00"), None),
    ]
    assert update_each(Variant, fields=("price",), keys=("id",), rows=[]) == 0
