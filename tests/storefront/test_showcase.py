"""MALLKIT_MODE=showcase: a display site without buying, with an enquiry form on products."""

import re

import pytest
from django.core import mail

from mallkit.enquiries.models import Enquiry

from .factories import CategoryFactory, make_product

pytestmark = pytest.mark.django_db

ENQUIRY = {
    "name": "Li Wei",
    "email": "li.wei@example.com",
    "phone": "+86 21 5555 0101",
    "company": "Shanghai Trading Co.",
    "message": "Can you deliver 500 teapots by June?",
}


@pytest.fixture
def showcase(settings):
    settings.MALLKIT_MODE = "showcase"
    settings.MALLKIT_SHOWCASE_SHOW_PRICES = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MALLKIT_SHOP_EMAIL = "sales@example.com"
    return settings


@pytest.fixture
def teapot():
    kitchen = CategoryFactory(name="Kitchen")
    return make_product(
        "Stoneware Teapot",
        "29.90",
        compare_at="39.90",
        categories=[kitchen],
        is_featured=True,
        variants=[
            {"price": "29.90", "compare_at": "39.90", "options": {"Colour": "Green"}},
            {"price": "32.00", "options": {"Colour": "Blue"}},
        ],
    )


def pages(client, product):
    category = product.categories.get()
    return {
        "home": client.get("/").content.decode(),
        "category": client.get(f"/categories/{category.slug}/").content.decode(),
        "search": client.get("/search/", {"q": "teapot"}).content.decode(),
        "product": client.get(f"/products/{product.slug}/").content.decode(),
    }


def test_showcase_hides_prices_everywhere_when_told(client, showcase, teapot):
    showcase.MALLKIT_SHOWCASE_SHOW_PRICES = False

    for name, html in pages(client, teapot).items():
        assert not re.search(r"\$\d", html), name
        assert "29.90" not in html, name
        assert 'name="min_price"' not in html, name
        assert 'value="price"' not in html, name
        assert "badge--sale" not in html, name
        assert "/cart/" not in html and "/checkout/" not in html, name
        assert "/account/" not in html, name
    product_html = pages(client, teapot)["product"]
    assert '"offers"' not in product_html
    assert "product:price:amount" not in product_html


def test_hidden_prices_cannot_be_probed_with_price_filters(client, showcase, teapot):
    showcase.MALLKIT_SHOWCASE_SHOW_PRICES = False
    category = teapot.categories.get()

    response = client.get(f"/categories/{category.slug}/", {"max_price": "1", "sort": "-price"})

    assert [p.name for p in response.context["products"]] == ["Stoneware Teapot"]


def test_showcase_can_show_prices(client, showcase, teapot):
    html = pages(client, teapot)["product"]

    assert "$29.90" in html
    assert "/cart/" not in html and "/checkout/" not in html


def test_enquiry_form_only_on_showcase_product_pages(client, showcase, teapot, settings):
    html = client.get(f"/products/{teapot.slug}/").content.decode()
    assert f'action="/products/{teapot.slug}/enquiry/#enquiry"' in html
    for field in ("name", "email", "phone", "company", "message"):
        assert f'name="{field}"' in html

    settings.MALLKIT_MODE = "shop"
    html = client.get(f"/products/{teapot.slug}/").content.decode()
    assert "/enquiry/" not in html
    assert client.post(f"/products/{teapot.slug}/enquiry/", ENQUIRY).status_code == 404
    assert Enquiry.objects.count() == 0


def test_enquiry_is_stored_emailed_and_confirmed(
    client, showcase, teapot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/products/{teapot.slug}/enquiry/", ENQUIRY)

    assert response.status_code == 302
    assert response["Location"] == f"/products/{teapot.slug}/"
    enquiry = Enquiry.objects.get()
    assert (enquiry.product, enquiry.name, enquiry.email, enquiry.phone, enquiry.company) == (
        teapot,
        "Li Wei",
        "li.wei@example.com",
        "+86 21 5555 0101",
        "Shanghai Trading Co.",
    )
    assert enquiry.message == "Can you deliver 500 teapots by June?"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sales@example.com"]
    assert message.reply_to == ["li.wei@example.com"]
    assert message.subject == "Enquiry from Li Wei about Stoneware Teapot"
    assert "Can you deliver 500 teapots by June?" in message.body

    followed = client.get(response["Location"]).content.decode()
    assert "Thank you. We will reply to li.wei@example.com as soon as we can." in followed


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"message": "hi"}, "message"),
        ({"message": "x" * 5001}, "message"),
    ],
)
def test_invalid_enquiry_shows_errors_and_stores_nothing(
    client, showcase, teapot, changes, field, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/products/{teapot.slug}/enquiry/", {**ENQUIRY, **changes})

    assert response.status_code == 400
    assert field in response.context["enquiry_form"].errors
    assert "Please correct the fields marked below." in response.content.decode()
    assert Enquiry.objects.count() == 0
    assert mail.outbox == []


def test_a_filled_trap_field_looks_sent_but_stores_nothing(
    client, showcase, teapot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/products/{teapot.slug}/enquiry/", {**ENQUIRY, "website": "http://spam.example"}
        )

    assert response.status_code == 302
    assert Enquiry.objects.count() == 0
    assert mail.outbox == []


def test_enquiries_are_rate_limited_per_address(client, showcase, teapot):
    url = f"/products/{teapot.slug}/enquiry/"
    for _ in range(5):
        assert client.post(url, ENQUIRY).status_code == 302

    response = client.post(url, ENQUIRY)

    assert response.status_code == 400
    assert "Please try again in an hour." in response.content.decode()
    assert Enquiry.objects.count() == 5
    other = client.post(url, ENQUIRY, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302


def test_enquiry_for_a_hidden_product_is_404(client, showcase):
    draft = make_product("Draft", status="draft")

    assert client.post(f"/products/{draft.slug}/enquiry/", ENQUIRY).status_code == 404


def test_enquiry_url_only_takes_posts(client, showcase, teapot):
    assert client.get(f"/products/{teapot.slug}/enquiry/").status_code == 405
