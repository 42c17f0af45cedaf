"""The order endpoints: a member's history and one order, never another customer's."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mallkit.checkout import services as checkout
from mallkit.orders import fulfilment
from mallkit.payments import services as payments
from mallkit.payments.models import Payment
from tests.factories import ShippingMethodFactory, UserFactory, buyable_variant

from .test_accounts_api import NOT_AUTHENTICATED, token_for

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ada Lovelace",
    "phone": "+44 20 7946 0000",
    "line1": "12 Analytical Row",
    "line2": "Flat 3",
    "city": "London",
    "region": "",
    "postal_code": "N1 7GU",
    "country": "GB",
}


@pytest.fixture(autouse=True)
def shop(settings):
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_TAX_RATE = "0"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    ShippingMethodFactory(code="standard", name="Standard delivery", price=Decimal("5.00"))


@pytest.fixture
def member():
    return UserFactory(email="ada@example.com")


@pytest.fixture
def auth(member):
    return token_for(member)


def place(customer, *, payment_method="bank_transfer", lines=1, price="20.00"):
    variants = [buyable_variant(price=price, stock=10, name=f"Thing {i}") for i in range(lines)]
    order = checkout.place_order(
        items={variant.pk: 2 for variant in variants},
        email=customer.email,
        shipping_address=ADDRESS,
        shipping_method_code="standard",
        payment_method=payment_method,
        customer=customer,
    )
    payment = payments.start_payment(payment=Payment.objects.get(order=order))
    return order, payment


@pytest.mark.parametrize("url", ["/api/v1/orders", "/api/v1/orders/MK-AAAAAAA"])
def test_orders_need_credentials(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_the_list_holds_only_my_orders_newest_first(client, member, auth):
    older, _ = place(member)
    newer, _ = place(member, payment_method="cod", lines=2)
    place(UserFactory())

    response = client.get("/api/v1/orders", **auth)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["number"] for item in body["items"]] == [newer.number, older.number]
    first = body["items"][0]
    assert {key: value for key, value in first.items() if key != "created_at"} == {
        "number": newer.number,
        "status": "confirmed",
        "payment_status": "unpaid",
        "fulfilment_status": "unfulfilled",
        "item_count": 4,
        "total": "85.00",
        "currency": "USD",
    }


def test_the_list_is_paged(client, member, auth):
    for _ in range(3):
        place(member)
    body = client.get("/api/v1/orders", {"page": 2, "page_size": 2}, **auth).json()
    assert (body["count"], len(body["items"])) == (3, 1)
    refused = client.get("/api/v1/orders", {"page_size": 1000}, **auth)
    assert refused.status_code == 422


def test_one_order_in_full(client, member, auth):
    order, payment = place(member, payment_method="sandbox")
    payments.record_failure(payment=payment, message="Card declined", raw={"secret": "x"})

    response = client.get(f"/api/v1/orders/{order.number}", **auth)

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == order.number
    assert (body["status"], body["payment_status"], body["fulfilment_status"]) == (
        "pending",
        "unpaid",
        "unfulfilled",
    )
    assert body["payment_state"] == "failed"
    assert (body["subtotal"], body["shipping"], body["tax"], body["total"]) == (
        "40.00",
        "5.00",
        "0.00",
        "45.00",
    )
    assert body["shipping_address"]["line2"] == "Flat 3"
    assert body["shipping_method"] == "Standard delivery"
    (line,) = body["lines"]
    assert {key: line[key] for key in ["product_name", "quantity", "unit_price", "total"]} == {
        "product_name": "Thing 0",
        "quantity": 2,
        "unit_price": "20.00",
        "total": "40.00",
    }
    assert body["payment"]["gateway"] == "sandbox"
    assert body["payment"]["status"] == "failed"
    assert body["payment"]["redirect_url"] == payment.redirect_url
    transactions = body["payment"]["transactions"]
    assert [(t["kind"], t["success"], t["amount"]) for t in transactions] == [
        ("start", True, "45.00"),
        ("failure", False, "45.00"),
    ]
    assert set(transactions[0]) == {"kind", "amount", "currency", "success", "created_at"}
    assert "secret" not in response.content.decode()
    assert [event["type"] for event in body["events"]] == ["placed", "payment_failed"]
    assert set(body["events"][0]) == {"type", "message", "created_at"}


def test_a_paid_order_shows_no_instructions_or_payment_page(client, member, auth):
    order, payment = place(member, payment_method="bank_transfer")
    before = client.get(f"/api/v1/orders/{order.number}", **auth).json()
    assert "Please transfer 45.00 USD" in before["payment"]["instructions"]

    payments.record_success(payment=payment, amount=payment.amount, currency="USD")

    body = client.get(f"/api/v1/orders/{order.number}", **auth).json()
    assert (body["payment_status"], body["payment_state"]) == ("paid", "paid")
    assert body["amount_paid"] == "45.00"
    assert body["payment"]["instructions"] is None
    assert body["payment"]["redirect_url"] is None


def test_another_customers_order_answers_404_like_a_missing_one(client, auth):
    theirs, _ = place(UserFactory())
    other = client.get(f"/api/v1/orders/{theirs.number}", **auth)
    missing = client.get("/api/v1/orders/MK-NOPE234", **auth)
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


def query_count(client, url, auth) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **auth).status_code == 200
    return len(queries)


def test_reads_do_not_grow_with_orders_or_lines(client, member, auth):
    small, _ = place(member)
    query_count(client, "/api/v1/orders", auth)  # the token's first use is noted once
    few = query_count(client, "/api/v1/orders", auth)
    large, _ = place(member, lines=6)
    for _ in range(4):
        place(member)
    assert query_count(client, "/api/v1/orders", auth) == few
    assert query_count(client, f"/api/v1/orders/{large.number}", auth) == query_count(
        client, f"/api/v1/orders/{small.number}", auth
    )


def shipped_in_two_parcels(member):
    """A paid order of two lines, sent in two parcels: one tracked, one by a local courier."""
    order, payment = place(member, lines=2)
    payments.record_success(payment=payment, amount=payment.amount, currency="USD")
    first, second = order.lines.order_by("id")
    fulfilment.ship(
        order=order,
        carrier="dhl",
        tracking_number="JD014600",
        quantities={first.pk: 2, second.pk: 1},
    )
    fulfilment.ship(order=order, carrier="Corner courier", quantities={second.pk: 1})
    return order


def test_an_order_shows_its_shipments_with_tracking_and_contents(client, member, auth):
    order = shipped_in_two_parcels(member)

    first, second = (
        {"sku": line.sku, "product_name": line.product_name, "variant_label": ""}
        for line in order.lines.order_by("id")
    )

    body = client.get(f"/api/v1/orders/{order.number}", **auth).json()

    assert body["fulfilment_status"] == "shipped"
    tracked, courier = body["shipments"]
    assert set(tracked) == {"carrier", "tracking_number", "tracking_url", "shipped_at", "lines"}
    assert {key: value for key, value in tracked.items() if key != "shipped_at"} == {
        "carrier": "DHL",
        "tracking_number": "JD014600",
        "tracking_url": "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
        "?submit=1&tracking-id=JD014600",
        "lines": [{**first, "quantity": 2}, {**second, "quantity": 1}],
    }
    assert {key: value for key, value in courier.items() if key != "shipped_at"} == {
        "carrier": "Corner courier",
        "tracking_number": None,
        "tracking_url": None,
        "lines": [{**second, "quantity": 1}],
    }
    assert tracked["shipped_at"] <= courier["shipped_at"]


def test_an_order_not_shipped_has_no_shipments(client, member, auth):
    order, _ = place(member)
    assert client.get(f"/api/v1/orders/{order.number}", **auth).json()["shipments"] == []


def test_shipments_are_read_without_a_query_per_parcel(client, member, auth):
    one, payment = place(member)
    payments.record_success(payment=payment, amount=payment.amount, currency="USD")
    fulfilment.ship(order=one, carrier="ups", tracking_number="1Z999")
    many = shipped_in_two_parcels(member)
    query_count(client, "/api/v1/orders", auth)  # the token's first use is noted once

    assert query_count(client, f"/api/v1/orders/{many.number}", auth) == query_count(
        client, f"/api/v1/orders/{one.number}", auth
    )


def test_the_schema_documents_the_shipments(client):
    schema = client.get("/api/v1/openapi.json").json()
    schemas = schema["components"]["schemas"]
    operation = schema["paths"]["/api/v1/orders/{number}"]["get"]
    order_out = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]

    shipments = schemas[order_out.rsplit("/", 1)[1]]["properties"]["shipments"]
    shipment = schemas[shipments["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(shipment["properties"]) == {
        "carrier",
        "tracking_number",
        "tracking_url",
        "shipped_at",
        "lines",
    }
    line = schemas[shipment["properties"]["lines"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(line["properties"]) == {"sku", "product_name", "variant_label", "quantity"}
