"""Every back-office page, for every role: who gets in, who gets a 403, who must log in."""

import pytest
from django.urls import reverse

from mallkit.catalog import images
from tests.backoffice.pictures import jpeg
from tests.backoffice.roles import PEOPLE, make_person
from tests.factories import CategoryFactory, ProductFactory, StockLevelFactory, UserFactory

pytestmark = pytest.mark.django_db

EVERY_ROLE = {"owner", "catalogue", "service", "warehouse"}
CATALOGUE = {"owner", "catalogue"}
STOCK = {"owner", "catalogue", "warehouse"}

# (method, URL name, which object's id it takes, the roles allowed in)
PAGES = [
    ("get", "backoffice:dashboard", None, EVERY_ROLE | {"no_role"}),
    ("get", "backoffice:products", None, EVERY_ROLE),
    ("get", "backoffice:product_create", None, CATALOGUE),
    ("post", "backoffice:product_create", None, CATALOGUE),
    ("post", "backoffice:product_bulk", None, CATALOGUE),
    ("get", "backoffice:product_edit", "product", EVERY_ROLE),
    ("post", "backoffice:product_edit", "product", CATALOGUE),
    ("get", "backoffice:product_history", "product", EVERY_ROLE),
    ("get", "backoffice:product_pictures", "product", EVERY_ROLE),
    ("post", "backoffice:product_pictures", "product", CATALOGUE),
    ("post", "backoffice:picture_order", "product", CATALOGUE),
    ("post", "backoffice:picture_update", "picture", CATALOGUE),
    ("post", "backoffice:picture_move", "picture", CATALOGUE),
    ("post", "backoffice:picture_delete", "picture", CATALOGUE),
    ("get", "backoffice:product_stock", "product", EVERY_ROLE),
    ("post", "backoffice:stock_adjust", "variant", STOCK),
    ("post", "backoffice:stock_set", "variant", STOCK),
    ("post", "backoffice:stock_threshold", "variant", STOCK),
    ("get", "backoffice:low_stock", None, EVERY_ROLE),
    ("get", "backoffice:categories", None, EVERY_ROLE),
    ("get", "backoffice:category_create", None, CATALOGUE),
    ("post", "backoffice:category_create", None, CATALOGUE),
    ("get", "backoffice:category_edit", "category", EVERY_ROLE),
    ("post", "backoffice:category_edit", "category", CATALOGUE),
    ("post", "backoffice:category_move", "category", CATALOGUE),
    ("get", "backoffice:category_delete", "category", CATALOGUE),
    ("post", "backoffice:category_delete", "category", CATALOGUE),
]


@pytest.fixture
def objects():
    level = StockLevelFactory(on_hand=3)
    product = level.variant.product
    (picture,) = images.add_product_images(product=product, files=[jpeg()])
    return {
        "product": product.pk,
        "variant": level.variant_id,
        "picture": picture.pk,
        "category": CategoryFactory().pk,
    }


def url_for(name, key, objects):
    return reverse(name, args=[objects[key]] if key else [])


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize(("method", "name", "key", "allowed"), PAGES)
def test_each_role_gets_exactly_its_pages(client, objects, kind, method, name, key, allowed):
    client.force_login(make_person(kind))

    response = getattr(client, method)(url_for(name, key, objects))

    if kind in allowed:
        assert response.status_code in {200, 204, 302, 400}, response.status_code
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
    else:
        assert response.status_code == 403
        assert b"No access" in response.content


@pytest.mark.parametrize(("method", "name", "key", "allowed"), PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, objects, method, name, key, allowed):
    url = url_for(name, key, objects)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login") + "?next=")


@pytest.mark.parametrize(
    ("kind", "sections"),
    [
        (
            "owner",
            [
                "Dashboard",
                "Orders",
                "Customers",
                "Products",
                "Categories",
                "Import / export",
                "Low stock",
            ],
        ),
        ("catalogue", ["Dashboard", "Products", "Categories", "Import / export", "Low stock"]),
        ("warehouse", ["Dashboard", "Orders", "Products", "Categories", "Low stock"]),
        ("service", ["Dashboard", "Orders", "Customers", "Products", "Categories", "Low stock"]),
        ("no_role", ["Dashboard"]),
    ],
)
def test_the_menu_shows_only_what_the_role_may_use(client, kind, sections):
    client.force_login(make_person(kind))

    response = client.get(reverse("backoffice:dashboard"))

    menu = [item["label"] for section in response.context["menu"] for item in section["items"]]
    assert [str(label) for label in menu] == sections


def test_buttons_for_changes_are_hidden_from_roles_that_may_only_look(client):
    product = ProductFactory()
    client.force_login(make_person("service"))

    listing = client.get(reverse("backoffice:products")).content.decode()
    page = client.get(reverse("backoffice:product_edit", args=[product.pk])).content.decode()

    assert "Add a product" not in listing and 'name="products"' not in listing
    assert "Save changes" not in page and "Generate variants" not in page
    assert 'name="name"' in page and "disabled" in page


@pytest.mark.parametrize(("kind", "status"), [("owner", 302), ("catalogue", 302)])
def test_django_admin_is_for_superusers_only(client, kind, status):
    client.force_login(make_person(kind))
    assert client.get("/admin/").status_code == status

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200
