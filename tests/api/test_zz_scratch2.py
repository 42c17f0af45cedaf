import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from .test_checkout_api import send, checkout, shop, member, auth, shirt, mug  # noqa

pytestmark = pytest.mark.django_db


def test_scratch(client, auth, member, shirt, mug, settings):
    send(client, "post", "/api/v1/cart/lines", {"sku": "SHIRT-1", "quantity": 1}, **auth)
    checkout(client, auth, key="warm", payment_method="cod")
    with CaptureQueriesContext(connection) as q1:
        r = send(client, "post", "/api/v1/cart/lines", {"sku": "SHIRT-1", "quantity": 1}, **auth)
    with CaptureQueriesContext(connection) as q2:
        r = checkout(client, auth, key="k2", payment_method="cod")
    assert r.status_code == 201, r.content
    print("CART", len(q1))
    for q in q1:
        print("  ", q["sql"][:150])
    print("CHECKOUT", len(q2))
    for q in q2:
        print("  ", q["sql"][:150])
