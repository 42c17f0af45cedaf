"""Logging in and out of the back office with an e-mail address and a password."""

import pytest
from django.urls import reverse

from tests.backoffice.roles import make_person

pytestmark = pytest.mark.django_db

LOGIN = reverse("backoffice:login")
PASSWORD = "correct-horse-battery"


def test_staff_log_in_with_email_and_password_and_go_where_they_wanted(client):
    make_person("catalogue", email="mia@example.com")
    products = reverse("backoffice:products")

    response = client.post(
        LOGIN, {"login": "Mia@Example.com", "password": PASSWORD, "next": products}
    )

    assert response.status_code == 302 and response["Location"] == products
    assert client.get(products).status_code == 200


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/account/"])
def test_next_only_leads_into_the_back_office(client, next_url):
    make_person("catalogue", email="mia@example.com")

    response = client.post(
        LOGIN, {"login": "mia@example.com", "password": PASSWORD, "next": next_url}
    )

    assert response["Location"] == reverse("backoffice:dashboard")


@pytest.mark.parametrize(
    ("kind", "password"), [("catalogue", "wrong-password"), ("shopper", PASSWORD)]
)
def test_wrong_passwords_and_shoppers_get_the_same_answer(client, kind, password):
    make_person(kind, email="someone@example.com")

    response = client.post(LOGIN, {"login": "someone@example.com", "password": password})

    assert response.status_code == 200
    assert "Enter the e-mail address and password of a staff account." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_shoppers_who_are_logged_in_get_403(client):
    client.force_login(make_person("shopper"))

    response = client.get(reverse("backoffice:products"))

    assert response.status_code == 403
    assert "for the shop's staff" in response.content.decode()


def test_repeated_failures_lock_the_account_out(client):
    make_person("catalogue", email="mia@example.com")
    for _ in range(5):
        client.post(LOGIN, {"login": "mia@example.com", "password": "wrong"})

    response = client.post(LOGIN, {"login": "mia@example.com", "password": PASSWORD})

    assert response.status_code in {403, 429}
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client):
    client.force_login(make_person("owner"))

    assert client.get(reverse("backoffice:logout")).status_code == 405
    response = client.post(reverse("backoffice:logout"))

    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
