"""Forms sent back with errors: each field names its error (and help text) in aria-describedby,
and the element of that id is on the page once, so a screen reader reads the right message."""

from collections import Counter
from html.parser import HTMLParser

import pytest

from tests.backoffice.roles import make_person
from tests.factories import UserFactory, sellable_variant

pytestmark = pytest.mark.django_db


class Described(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()
        self.described = []  # (name, [ids])
        self.invalid = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] += 1
        if "aria-describedby" in attrs:
            self.described.append((attrs.get("name", tag), attrs["aria-describedby"].split()))
        if attrs.get("aria-invalid") == "true":
            self.invalid.append(attrs.get("name", tag))


def check_descriptions(response, *, invalid: set[str]):
    assert response.status_code in {200, 400}
    page = Described()
    page.feed(response.content.decode())
    for name, ids in page.described:
        for found in ids:
            assert page.ids[found] == 1, (
                f"{name} is described by {found!r}, on the page {page.ids[found]}×"
            )
    errors = {name for name, ids in page.described if any(i.endswith("_error") for i in ids)}
    # Every field marked invalid says where its message is.
    assert invalid <= set(page.invalid)
    assert invalid <= errors, invalid - errors


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_signing_up_with_bad_values(client, fast_passwords):
    response = client.post(
        "/account/signup/", {"email": "not-an-address", "password1": "short", "password2": "x"}
    )
    check_descriptions(response, invalid={"email"})


def test_an_address_of_the_book_with_missing_fields(client, fast_passwords):
    client.force_login(UserFactory())
    response = client.post("/account/addresses/add/", {"full_name": "", "country": "ZZ"})
    check_descriptions(response, invalid={"full_name", "line1", "city", "country"})


def test_the_checkout_address_with_missing_fields(client):
    response = client.post("/cart/add/", {"sku": sellable_variant().sku, "quantity": 1})
    assert response.status_code in {200, 302}
    response = client.post("/checkout/", {"email": "nobody", "full_name": ""})
    check_descriptions(response, invalid={"email", "full_name", "line1"})


def test_a_product_of_the_back_office_without_a_name(client, fast_passwords):
    client.force_login(make_person("catalogue"))
    response = client.post("/backoffice/products/new/", {"name": "", "status": "active"})
    check_descriptions(response, invalid={"name"})
