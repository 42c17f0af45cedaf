import cProfile, pstats, time
import pytest

pytestmark = pytest.mark.django_db
from django.db import connection
from .test_checkout_api import (
    send,
    checkout,
    token_for,
    UserFactory,
    buyable_variant,
    ShippingMethodFactory,
)  # noqa
from .test_checkout_api import shop, member, auth, shirt, mug  # noqa


def test_scratch(client, auth, member, shirt, mug, settings):
    settings.DEBUG = False
    for i in range(5):
        send(client, "post", "/api/v1/cart/lines", {"sku": "SHIRT-1", "quantity": 1}, **auth)
        checkout(client, auth, key=f"warm{i}", payment_method="cod")
    from mallkit.inventory.models import StockLevel

    StockLevel.objects.filter(variant=shirt).update(on_hand=100000)
    pr = cProfile.Profile()
    t = time.perf_counter()
    pass  # pr.enable()
    for i in range(60):
        r = send(client, "post", "/api/v1/cart/lines", {"sku": "SHIRT-1", "quantity": 1}, **auth)
        assert r.status_code in (200, 201)
        r = checkout(client, auth, key=f"k{i}", payment_method="cod")
        assert r.status_code == 201, r.content
    pass  # pr.disable()
    print("per order ms", (time.perf_counter() - t) / 60 * 1000)
    # pr.dump_stats("/tmp/prof/checkout.prof")
