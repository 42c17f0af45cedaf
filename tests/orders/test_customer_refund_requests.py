"""A customer asks for a refund of their own order: from the order page and through the API.

Staff decide in the back office; here the request only has to reach their queue once, for a paid
order of the customer who asks, with a reason.
"""

import json
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from mallkit.orders import processing
from mallkit.orders.models import OrderEvent, RefundRequest
from tests.api.test_accounts_api import NOT_AUTHENTICATED, token_for
from tests.factories import UserFactory

from .helpers import owner, place, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("order_shop")]

FORM_TITLE = "Ask for a refund"


@pytest.fixture
def grace():
    return UserFactory(email="grace@example.com")


def paid_order(customer):
    """Two units at 10.00 plus 5.00 shipping, paid: 25.00 to refund."""
    return processing.confirm_payment(order=place(customer=customer), actor=owner())


def refund_url(order) -> str:
    return reverse("storefront:order_refund_request", kwargs={"number": order.number})


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# The order page -----------------------------------------------------------------------------------


def test_a_paid_order_page_offers_the_form_and_takes_a_request(client, grace):
    order = paid_order(grace)
    client.force_login(grace)

    page = client.get(order.get_absolute_url()).content.decode()
    assert FORM_TITLE in page and f'action="{refund_url(order)}#refund"' in page
    assert "You can ask for up to $25.00." in page

    response = client.post(
        refund_url(order), {"reason": "  The mug arrived broken.  ", "amount": "12.50"}
    )

    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    assert texts(response) == [
        "We have received your refund request. We will look at it and write to you at "
        "grace@example.com."
    ]
    request = RefundRequest.objects.get()
    assert (
        request.order,
        request.status,
        request.reason,
        request.amount,
        request.requested_by,
    ) == (
        order,
        "open",
        "The mug arrived broken.",
        Decimal("12.50"),
        grace,
    )
    event = order.events.get(type=OrderEvent.Type.REFUND_REQUESTED)
    assert (event.actor, event.message, event.data, event.visible_to_customer) == (
        grace,
        "The mug arrived broken.",
        {"amount": "12.50"},
        True,
    )

    after = client.get(order.get_absolute_url()).content.decode()
    assert "Refund requested" in after  # the notice and the timeline
    assert "You asked for a refund on" in after
    assert FORM_TITLE not in after


def test_without_an_amount_everything_paid_is_asked_for(client, grace):
    order = paid_order(grace)
    client.force_login(grace)

    response = client.post(refund_url(order), {"reason": "Changed my mind", "amount": ""})

    assert response.status_code == 302
    assert RefundRequest.objects.get().amount is None


def test_another_customers_order_is_404_and_untouched(client, grace):
    theirs = paid_order(UserFactory())
    before = snapshot(theirs)
    client.force_login(grace)

    assert client.post(refund_url(theirs), {"reason": "Mine now"}).status_code == 404
    assert client.get(refund_url(theirs)).status_code == 404
    assert snapshot(theirs) == before


def test_signing_in_is_required(client, grace):
    order = paid_order(grace)

    response = client.post(refund_url(order), {"reason": "Broken"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not RefundRequest.objects.exists()


def test_the_form_needs_the_csrf_token(grace):
    order = paid_order(grace)
    client = Client(enforce_csrf_checks=True)
    client.force_login(grace)

    assert client.post(refund_url(order), {"reason": "Broken"}).status_code == 403
    assert not RefundRequest.objects.exists()


def test_an_unpaid_order_offers_no_form_and_refuses_a_request(client, grace):
    order = place(customer=grace)
    before = snapshot(order)
    client.force_login(grace)

    assert FORM_TITLE not in client.get(order.get_absolute_url()).content.decode()
    response = client.post(refund_url(order), {"reason": "Broken"})

    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    assert texts(response) == [f"Order {order.number} has nothing paid left to refund."]
    assert snapshot(order) == before


def test_a_second_request_waits_for_the_first(client, grace):
    order = paid_order(grace)
    client.force_login(grace)
    client.post(refund_url(order), {"reason": "Broken"})
    before = snapshot(order)

    response = client.post(refund_url(order), {"reason": "Still broken"})

    assert response.status_code == 302
    assert texts(response)[-1] == f"A refund of order {order.number} has been requested already."
    assert snapshot(order) == before


def test_a_declined_request_may_be_followed_by_another(client, grace):
    order = paid_order(grace)
    client.force_login(grace)
    client.post(refund_url(order), {"reason": "Broken"})
    processing.decline_refund_request(order=order, actor=owner())

    assert FORM_TITLE in client.get(order.get_absolute_url()).content.decode()
    assert client.post(refund_url(order), {"reason": "Really broken"}).status_code == 302
    assert list(RefundRequest.objects.values_list("status", flat=True)) == ["declined", "open"]


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"reason": "   ", "amount": ""}, "reason", "This field is required."),
        ({"amount": "5"}, "reason", "This field is required."),
        ({"reason": "x" * 1001}, "reason", "Ensure this value has at most 1000 characters"),
        ({"reason": "Broken", "amount": "lots"}, "amount", "Enter a number."),
        ({"reason": "Broken", "amount": "0"}, "amount", "greater than or equal to 0.01"),
        ({"reason": "Broken", "amount": "1.005"}, "amount", "no more than 2 decimal places"),
        ({"reason": "Broken", "amount": "25.01"}, "amount", "At most 25.00 USD is left to refund."),
    ],
)
def test_bad_input_shows_the_form_again_with_its_errors(client, grace, data, field, error):
    order = paid_order(grace)
    before = snapshot(order)
    client.force_login(grace)

    response = client.post(refund_url(order), data)

    assert response.status_code == 400
    form = response.context["refund_form"]
    assert any(error in message for message in form.errors[field])
    html = response.content.decode()
    assert FORM_TITLE in html
    # The message is the one the field names in its aria-describedby.
    assert (
        f'aria-describedby="id_{field}_error"' in html
        or "id_amount_helptext id_amount_error" in html
    )
    assert f'class="field-error" id="id_{field}_error"' in html
    assert snapshot(order) == before


def test_opening_the_form_address_leads_to_the_order_page(client, grace):
    order = paid_order(grace)
    client.force_login(grace)

    response = client.get(refund_url(order))

    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()


def test_the_form_and_its_answer_in_chinese(client, grace):
    order = paid_order(grace)
    client.force_login(grace)
    client.cookies["django_language"] = "zh-hans"

    page = client.get(order.get_absolute_url()).content.decode()
    assert "申请退款" in page and "您为什么要申请退款？" in page

    response = client.post(refund_url(order), {"reason": "杯子碎了"}, follow=True)

    html = response.content.decode()
    assert "我们已收到您的退款申请。" in html and "grace@example.com" in html
    assert "您已于" in html


# The API ------------------------------------------------------------------------------------------


def api_url(order_or_number) -> str:
    number = getattr(order_or_number, "number", order_or_number)
    return f"/api/v1/orders/{number}/refund-request"


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def test_the_api_takes_a_request_and_answers_it(client, grace):
    order = paid_order(grace)

    response = post(
        client, api_url(order), {"reason": "Arrived broken", "amount": "12.50"}, **token_for(grace)
    )

    assert response.status_code == 201
    request = RefundRequest.objects.get()
    body = response.json()
    assert body.pop("created_at").startswith(request.created_at.isoformat()[:19])
    assert body == {
        "id": request.pk,
        "status": "open",
        "reason": "Arrived broken",
        "amount": "12.50",
        "currency": "USD",
    }
    assert (request.order, request.requested_by) == (order, grace)
    event = order.events.get(type=OrderEvent.Type.REFUND_REQUESTED)
    assert (event.actor, event.message, event.visible_to_customer) == (
        grace,
        "Arrived broken",
        True,
    )


def test_the_api_without_an_amount_asks_for_everything(client, grace):
    order = paid_order(grace)

    response = post(client, api_url(order), {"reason": "Never arrived"}, **token_for(grace))

    assert response.status_code == 201
    assert response.json()["amount"] is None


def test_the_api_works_with_the_sites_session_and_its_csrf_token(grace):
    order = paid_order(grace)
    client = Client(enforce_csrf_checks=True)
    client.force_login(grace)

    refused = post(client, api_url(order), {"reason": "Broken"})
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")

    client.get(order.get_absolute_url())  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = post(client, api_url(order), {"reason": "Broken"}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_the_api_needs_credentials(client, grace):
    order = paid_order(grace)

    response = post(client, api_url(order), {"reason": "Broken"})

    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)
    assert not RefundRequest.objects.exists()


def test_the_api_answers_404_for_another_customers_order_like_a_missing_one(client, grace):
    theirs = paid_order(UserFactory())
    before = snapshot(theirs)
    auth = token_for(grace)

    other = post(client, api_url(theirs), {"reason": "Mine now"}, **auth)
    missing = post(client, api_url("MK-NOPE234"), {"reason": "Mine now"}, **auth)

    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert snapshot(theirs) == before


def test_the_api_refuses_an_unpaid_order_with_409(client, grace):
    order = place(customer=grace)
    before = snapshot(order)

    response = post(client, api_url(order), {"reason": "Broken"}, **token_for(grace))

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Order {order.number} has nothing paid left to refund.",
        "code": "transition_not_allowed",
        "errors": {},
    }
    assert snapshot(order) == before


def test_the_api_refuses_a_second_open_request_with_409(client, grace):
    order = paid_order(grace)
    auth = token_for(grace)
    assert post(client, api_url(order), {"reason": "Broken"}, **auth).status_code == 201
    before = snapshot(order)

    response = post(client, api_url(order), {"reason": "Still broken"}, **auth)

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"A refund of order {order.number} has been requested already.",
        "code": "refund_already_requested",
        "errors": {},
    }
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"reason": "   "}, 400, "reason"),
        ({"reason": ""}, 400, "reason"),
        ({"amount": "5.00"}, 422, "reason"),
        ({"reason": "x" * 1001}, 422, "reason"),
        ({"reason": "Broken\x00"}, 422, "reason"),
        ({"reason": "Broken", "amount": 12.5}, 422, "amount"),
        ({"reason": "Broken", "amount": "lots"}, 400, "amount"),
        ({"reason": "Broken", "amount": "-3"}, 400, "amount"),
        ({"reason": "Broken", "amount": "25.01"}, 400, "amount"),
    ],
)
def test_the_api_refuses_bad_input(client, grace, body, status, field):
    order = paid_order(grace)
    before = snapshot(order)

    response = post(client, api_url(order), body, **token_for(grace))

    assert response.status_code == status
    answer = response.json()
    assert answer["code"] == "invalid"
    assert list(answer["errors"]) == [field]
    assert snapshot(order) == before


def test_the_api_refuses_a_body_that_is_not_json(client, grace):
    order = paid_order(grace)

    response = client.post(
        api_url(order), "reason=Broken", content_type="application/json", **token_for(grace)
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert not RefundRequest.objects.exists()


def test_the_operation_is_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/orders/{number}/refund-request"]["post"]
    assert set(operation["responses"]) == {"201", "400", "401", "403", "404", "409", "422"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    request_in = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert request_in["required"] == ["reason"]
    assert set(request_in["properties"]) == {"reason", "amount"}
    out = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema["components"]["schemas"][out.rsplit("/", 1)[1]]["properties"]) == {
        "id",
        "status",
        "reason",
        "amount",
        "currency",
        "created_at",
    }


def test_the_database_itself_holds_one_open_request_per_order(grace):
    order = paid_order(grace)
    RefundRequest.objects.create(order=order, reason="Broken")
    RefundRequest.objects.create(order=order, reason="Earlier", status="declined")

    with pytest.raises(IntegrityError), transaction.atomic():
        RefundRequest.objects.create(order=order, reason="A writer that skipped the service")

    assert RefundRequest.objects.filter(order=order, status="open").count() == 1
