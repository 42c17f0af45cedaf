"""The staff orders API: queues and search, one order, and its transitions with the statuses
the issue names: 200 with the order, 409 for the wrong state, 400 for an unknown action, 403 for
a role without the permission, 401 without credentials, 404 for no such order."""

import json
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from mallkit.accounts.models import ApiToken
from mallkit.orders import processing
from mallkit.orders.models import Order
from tests.backoffice.roles import PEOPLE, make_person
from tests.orders.helpers import owner, place, shop_settings, snapshot

pytestmark = pytest.mark.django_db

BASE = "/api/v1/staff/orders"


@pytest.fixture(autouse=True)
def _shop(settings):
    shop_settings(settings)


class Api:
    def __init__(self, user=None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            secret = f"mk_test_{user.pk}"
            ApiToken.objects.create(user=user, digest=ApiToken.digest_for(secret), name="test")
            self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path="", **params):
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path, body):
        return self.client.post(
            BASE + path, json.dumps(body), content_type="application/json", headers=self.headers
        )


def as_(kind):
    return Api(make_person(kind))


def transition(api, order, **body):
    return api.post(f"/{order.number}/transitions", body)


def test_list_by_queue_status_and_search():
    paid = processing.confirm_payment(order=place(email="grace@example.com"), actor=owner())
    waiting = place()
    api = as_("warehouse")

    everything = api.get().json()
    assert everything["count"] == 2
    assert {o["number"] for o in everything["items"]} == {paid.number, waiting.number}
    item = api.get(queue="to_pack").json()["items"][0]
    assert (item["number"], item["payment_status"], item["fulfilment_status"]) == (
        paid.number,
        "paid",
        "unfulfilled",
    )
    assert (item["total"], item["currency"], item["item_count"]) == ("25.00", "USD", 2)
    assert [o["number"] for o in api.get(status="pending").json()["items"]] == [waiting.number]
    assert [o["number"] for o in api.get(q="grace@").json()["items"]] == [paid.number]
    assert api.get(queue="nonsense").status_code == 422


def test_one_order_in_full():
    order = processing.confirm_payment(order=place(quantities=(2, 1)), actor=owner())
    body = as_("service").get(f"/{order.number}").json()
    assert body["number"] == order.number
    assert [line["quantity_to_ship"] for line in body["lines"]] == [2, 1]
    assert body["invoice"]["number"] == "INV-000001"
    assert body["available_actions"] == ["pack", "ship", "cancel", "refund", "restock"]
    assert [e["type"] for e in body["events"]][:2] == ["placed", "paid"]
    assert as_("service").get("/MK-NOSUCH").status_code == 404


def test_ship_then_deliver_answers_the_order(django_capture_on_commit_callbacks):
    order = processing.confirm_payment(order=place(quantities=(3,)), actor=owner())
    line = order.lines.get()
    api = as_("warehouse")

    with django_capture_on_commit_callbacks(execute=True):
        response = transition(
            api,
            order,
            action="ship",
            carrier="fedex",
            tracking_number="7777",
            lines=[{"line_id": line.pk, "quantity": 1}],
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["fulfilment_status"] == "partially_shipped"
    assert body["fulfilments"][0]["tracking_url"] == "https://www.fedex.com/fedextrack/?trknbr=7777"
    assert len(mail.outbox) == 1
    assert transition(api, order, action="ship", carrier="fedex").json()["fulfilment_status"] == (
        "shipped"
    )
    done = transition(api, order, action="deliver").json()
    assert (done["status"], done["fulfilment_status"]) == ("completed", "delivered")


def test_refund_through_the_api():
    order = processing.confirm_payment(order=place(quantities=(3,)), actor=owner())
    api = as_("service")
    body = transition(api, order, action="refund", amount="10.00", note="Late").json()
    assert (body["payment_status"], body["amount_refunded"]) == ("partially_refunded", "10.00")
    assert body["credit_notes"][0]["number"] == "CN-000001"
    body = transition(api, order, action="refund").json()  # everything left
    assert (body["payment_status"], body["amount_refunded"]) == ("refunded", "35.00")


def test_an_action_the_state_does_not_allow_is_409_and_changes_nothing():
    order = place()
    before = snapshot(order)
    response = transition(as_("owner"), order, action="deliver")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert response.json()["detail"].startswith(f"Cannot deliver order {order.number}")
    response = transition(as_("owner"), order, action="refund", amount="1.00")
    assert response.status_code == 409
    assert snapshot(order) == before


@pytest.mark.parametrize("action", ["launch", "expire", "note", ""])
def test_an_unknown_action_is_400(action):
    order = place()
    before = snapshot(order)
    response = transition(as_("owner"), order, action=action)
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_action"
    assert snapshot(order) == before


def test_a_role_without_the_permission_is_403_and_changes_nothing():
    order = processing.confirm_payment(order=place(), actor=owner())
    before = snapshot(order)
    response = transition(as_("warehouse"), order, action="refund", amount="5.00")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert transition(as_("service"), order, action="ship", carrier="dhl").status_code == 403
    # The permission is checked before the order is looked up.
    missing = Order(number="MK-NOSUCH")
    assert transition(as_("warehouse"), missing, action="refund").status_code == 403
    assert transition(as_("owner"), missing, action="refund").status_code == 404
    assert snapshot(order) == before


def test_bad_input_is_400_or_422():
    order = processing.confirm_payment(order=place(), actor=owner())
    api = as_("owner")
    response = transition(api, order, action="refund", amount="lots")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"amount": ["“lots” is not a valid amount."]},
    )
    response = transition(api, order, action="ship", carrier="dhl", tracking_url="ftp://x")
    assert response.status_code == 400 and "tracking_url" in response.json()["errors"]
    response = api.post(f"/{order.number}/transitions", {"action": "ship", "lines": "all"})
    assert response.status_code == 422


@pytest.mark.parametrize("kind", PEOPLE)
def test_who_may_read_orders(kind):
    order = place()
    allowed = kind in {"owner", "service", "warehouse"}
    api = as_(kind)
    for response in [api.get(), api.get(f"/{order.number}")]:
        assert response.status_code == (200 if allowed else 403)


def test_without_credentials_it_is_401():
    order = place()
    api = Api()
    assert api.get().status_code == 401
    assert transition(api, order, action="ship").status_code == 401
    assert Order.objects.get(pk=order.pk).fulfilment_status == "unfulfilled"


def test_money_is_a_decimal_string():
    order = processing.confirm_payment(order=place(price="19.99"), actor=owner())
    body = as_("owner").get(f"/{order.number}").json()
    assert Decimal(body["total"]) == Decimal("44.98") and isinstance(body["total"], str)
