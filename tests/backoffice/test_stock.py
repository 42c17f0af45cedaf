"""Stock pages: adjustments with a reason, stock-takes, thresholds and the low-stock list."""

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mallkit.inventory.models import StockLevel, StockMovement
from tests.concurrency import run_concurrently
from tests.factories import ProductFactory, StockLevelFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def level():
    return StockLevelFactory(on_hand=0, variant__sku="LAMP-1", variant__product__name="Lamp")


def ledger(variant_id):
    total = StockMovement.objects.filter(variant_id=variant_id).aggregate(s=Sum("on_hand_change"))
    return total["s"] or 0


def test_adjust_with_a_reason_writes_the_ledger(manager_client, manager, level):
    url = reverse("backoffice:stock_adjust", args=[level.variant_id])
    prefix = f"adjust-{level.variant_id}-"

    response = manager_client.post(
        url, {prefix + "change": "12", prefix + "reason": "received", prefix + "note": "PO 7"}
    )
    manager_client.post(url, {prefix + "change": "-2", prefix + "reason": "damaged"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"/stock/#v{level.variant_id}")
    level.refresh_from_db()
    assert level.on_hand == 10 == ledger(level.variant_id)
    first = StockMovement.objects.order_by("id").first()
    assert (first.reason, first.note, first.created_by) == ("received", "PO 7", manager)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"change": "0", "reason": "received"}, "Enter a number other than zero."),
        ({"change": "1.5", "reason": "received"}, "Enter a whole number."),
        ({"change": "3", "reason": "initial"}, "Select a valid choice."),
        ({"change": "-5", "reason": "damaged"}, "Only 0 units can be removed."),
    ],
)
def test_bad_adjustments_show_errors_and_change_nothing(manager_client, level, data, message):
    prefix = f"adjust-{level.variant_id}-"
    url = reverse("backoffice:stock_adjust", args=[level.variant_id])

    response = manager_client.post(url, {prefix + key: value for key, value in data.items()})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert StockLevel.objects.get(pk=level.pk).on_hand == 0
    assert not StockMovement.objects.exists()


def test_stock_take_sets_the_count_and_ledgers_the_difference(manager_client, level):
    prefix = f"set-{level.variant_id}-"
    url = reverse("backoffice:stock_set", args=[level.variant_id])

    manager_client.post(url, {prefix + "on_hand": "8", prefix + "note": "Count"})
    manager_client.post(url, {prefix + "on_hand": "5"})
    response = manager_client.post(url, {prefix + "on_hand": "5"}, follow=True)

    assert "nothing changed" in response.content.decode()
    assert StockLevel.objects.get(pk=level.pk).on_hand == 5 == ledger(level.variant_id)
    assert list(StockMovement.objects.order_by("id").values_list("on_hand_change", "reason")) == [
        (8, "correction"),
        (-3, "correction"),
    ]


def test_threshold_and_low_stock_list(manager_client, level):
    StockLevelFactory(on_hand=100, variant__product__name="Plenty")
    prefix = f"threshold-{level.variant_id}-"
    manager_client.post(
        reverse("backoffice:stock_threshold", args=[level.variant_id]),
        {prefix + "low_stock_threshold": "3"},
    )
    assert StockLevel.objects.get(pk=level.pk).low_stock_threshold == 3

    response = manager_client.get(reverse("backoffice:low_stock"))

    content = response.content.decode()
    assert "LAMP-1" in content and "Plenty" not in content


def test_low_stock_list_query_count_is_fixed(manager_client):
    def add_rows(n):
        for _ in range(n):
            product = ProductFactory()
            StockLevelFactory(variant=VariantFactory(product=product), on_hand=1)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(reverse("backoffice:low_stock")).status_code == 200
        return len(queries)

    add_rows(1)
    few = count()
    add_rows(15)
    assert count() == few


def test_stock_page_shows_figures_and_movements(manager_client, level):
    manager_client.post(
        reverse("backoffice:stock_adjust", args=[level.variant_id]),
        {f"adjust-{level.variant_id}-change": "4", f"adjust-{level.variant_id}-reason": "returned"},
    )

    response = manager_client.get(
        reverse("backoffice:product_stock", args=[level.variant.product_id])
    )

    content = response.content.decode()
    assert "LAMP-1" in content and "Returned" in content and "+4" in content


@pytest.mark.django_db(transaction=True)
def test_two_staff_adjusting_at_once_through_the_pages_lose_nothing(person):
    from django.test import Client

    level = StockLevelFactory(on_hand=0)
    staff = [person("warehouse") for _ in range(6)]
    url = reverse("backoffice:stock_adjust", args=[level.variant_id])
    prefix = f"adjust-{level.variant_id}-"

    def adjust(user):
        client = Client()
        client.force_login(user)
        return client.post(url, {prefix + "change": "3", prefix + "reason": "received"})

    outcomes = run_concurrently(adjust, [(user,) for user in staff])

    assert [response.status_code for response, _ in outcomes] == [302] * 6
    assert StockLevel.objects.get(pk=level.pk).on_hand == 18 == ledger(level.variant_id)
