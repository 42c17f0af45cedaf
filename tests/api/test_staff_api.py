"""The staff API: the back office's permissions, the same checks, JSON errors."""

import json
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client

from mallkit.accounts.models import ApiToken
from mallkit.catalog.models import PriceChange, Product, ProductImage, Variant
from mallkit.inventory.models import StockLevel, StockMovement
from tests.backoffice.pictures import (
    SVG,
    jpeg,
    oversized_file,
    pixel_flood_png,
    truncated_jpeg,
    upload,
)
from tests.backoffice.roles import PEOPLE, make_person
from tests.concurrency import run_concurrently
from tests.factories import CategoryFactory, ProductFactory, StockLevelFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/staff"
CATALOGUE = {"owner", "catalogue"}
STOCK = {"owner", "catalogue", "warehouse"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token_for(user) -> str:
    secret = f"mk_test_{user.pk}_{user.email}"
    ApiToken.objects.create(user=user, digest=ApiToken.digest_for(secret), name="test")
    return secret


class Api:
    """A client sending a bearer token and JSON."""

    def __init__(self, user=None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_for(user)}"} if user else {}

    def call(self, method, path, body=None):
        kwargs = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(BASE + path, **kwargs)

    def upload(self, path, files):
        return self.client.post(BASE + path, files, headers=self.headers)


def as_(kind, **kwargs):
    return Api(make_person(kind, **kwargs))


def new_product_body(**changes):
    body = {
        "name": "Linen Camp Shirt",
        "description": "<p>Breezy<script>x()</script></p>",
        "status": "active",
        "variants": [
            {
                "sku": "LCS-M",
                "price": "39.00",
                "compare_at_price": "49.00",
                "options": {"Size": "M"},
                "stock": 4,
                "low_stock_threshold": 2,
            },
            {"sku": "LCS-L", "price": "41.50", "options": {"Size": "L"}},
        ],
    }
    body.update(changes)
    return body


@pytest.fixture
def level():
    return StockLevelFactory(on_hand=5, variant__sku="LAMP-1", variant__price=Decimal("20.00"))


# (method, path with {product}/{sku} placeholders, body, roles allowed)
ENDPOINTS = [
    ("post", "/products", "new", CATALOGUE),
    ("patch", "/products/{product}", {"name": "Renamed"}, CATALOGUE),
    ("delete", "/products/{product}", None, CATALOGUE),
    ("post", "/products/{product}/images", "image", CATALOGUE),
    ("patch", "/variants/{sku}", {"price": "21.00"}, CATALOGUE),
    ("patch", "/variants/{sku}", {"stock": 9}, STOCK),
    ("patch", "/variants/{sku}", {"stock": 9, "price": "21.00"}, CATALOGUE),
]


def call(api, method, path, body, level):
    path = path.format(product=level.variant.product_id, sku=level.variant.sku)
    if body == "image":
        return api.upload(path, {"image": jpeg()})
    return api.call(method, path, new_product_body() if body == "new" else body)


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
def test_each_role_may_use_exactly_its_endpoints(level, kind, method, path, body, allowed):
    before = (
        Product.objects.count(),
        StockLevel.objects.get(pk=level.pk).on_hand,
        Variant.objects.get(pk=level.variant_id).price,
        ProductImage.objects.count(),
    )

    response = call(as_(kind), method, path, body, level)

    if kind in allowed:
        assert response.status_code in {200, 201}, response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
        after = (
            Product.objects.count(),
            StockLevel.objects.get(pk=level.pk).on_hand,
            Variant.objects.get(pk=level.variant_id).price,
            ProductImage.objects.count(),
        )
        assert after == before


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
def test_no_token_gets_401(level, method, path, body, allowed):
    response = call(Api(), method, path, body, level)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_revoked_or_unknown_token_gets_401(level):
    api = as_("owner")
    ApiToken.objects.update(revoked_at="2020-01-01T00:00:00Z")
    assert api.call("patch", "/variants/LAMP-1", {"stock": 1}).status_code == 401
    api.headers = {"Authorization": "Bearer nonsense"}
    assert api.call("patch", "/variants/LAMP-1", {"stock": 1}).status_code == 401


def test_a_shopper_gets_403_even_with_invalid_input(level):
    response = as_("shopper").call("patch", "/variants/LAMP-1", {"stock": -1, "nonsense": 1})
    assert response.status_code == 403


def test_warehouse_may_set_stock_but_not_prices(level):
    api = as_("warehouse")

    assert api.call("patch", "/variants/LAMP-1", {"stock": 2}).status_code == 200
    response = api.call("patch", "/variants/LAMP-1", {"price": "1.00"})
    assert response.status_code == 403
    assert Variant.objects.get(pk=level.variant_id).price == Decimal("20.00")


def test_create_product_with_variants(level):
    category = CategoryFactory()
    user = make_person("catalogue")

    response = Api(user).call("post", "/products", new_product_body(category_ids=[category.pk]))

    assert response.status_code == 201
    body = response.json()
    product = Product.objects.get(pk=body["id"])
    assert (body["name"], body["slug"], body["status"], body["price_from"], body["currency"]) == (
        "Linen Camp Shirt",
        "linen-camp-shirt",
        "active",
        "39.00",
        "USD",
    )
    assert body["description"] == "<p>Breezy</p>"
    assert body["category_ids"] == [category.pk]
    assert [
        (
            v["sku"],
            v["price"],
            v["compare_at_price"],
            v["options"],
            v["stock"],
            v["low_stock_threshold"],
        )
        for v in body["variants"]
    ] == [
        ("LCS-M", "39.00", "49.00", {"Size": "M"}, 4, 2),
        ("LCS-L", "41.50", None, {"Size": "L"}, 0, 5),
    ]
    assert product.variants.get(sku="LCS-M").stock_movements.get().created_by == user


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"variants": [{"sku": "A", "price": "abc"}]}, 400, "variants.0.price"),
        ({"variants": [{"sku": "A", "price": "-1"}]}, 400, "variants.0.price"),
        ({"variants": [{"sku": "A", "price": "1.234"}]}, 400, "variants.0.price"),
        ({"variants": [{"sku": "LAMP-1", "price": "1.00"}]}, 400, "variants.0.sku"),
        ({"variants": []}, 400, "variants"),
        ({"name": ""}, 400, "name"),
        ({"status": "sold"}, 422, "status"),
        ({"variants": [{"sku": "A", "price": "1", "stock": -1}]}, 422, "variants.0.stock"),
        ({"variants": [{"sku": "A", "price": "1", "stock": 1.5}]}, 422, "variants.0.stock"),
        ({"variants": [{"sku": "A", "price": 1.5}]}, 422, "variants.0.price"),
    ],
)
def test_create_product_refuses_bad_values_and_saves_nothing(level, changes, status, field):
    before = (Product.objects.count(), Variant.objects.count(), StockMovement.objects.count())

    response = as_("catalogue").call("post", "/products", new_product_body(**changes))

    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert field in body["errors"], body
    assert (
        Product.objects.count(),
        Variant.objects.count(),
        StockMovement.objects.count(),
    ) == before


def test_patch_product_changes_only_what_is_sent(level):
    product = level.variant.product
    product.seo_title = "Kept"
    product.save()

    response = as_("catalogue").call("patch", f"/products/{product.pk}", {"name": "Brass Lamp"})

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["seo_title"], len(body["variants"])) == ("Brass Lamp", "Kept", 1)


def test_patch_product_refuses_unknown_fields_and_bad_values(level):
    api = as_("catalogue")
    product_id = level.variant.product_id

    assert api.call("patch", f"/products/{product_id}", {"price_from": "1"}).status_code == 422
    response = api.call("patch", f"/products/{product_id}", {"slug": "Not a slug"})
    assert response.status_code == 400 and "slug" in response.json()["errors"]


def test_delete_archives_and_is_idempotent(level):
    api = as_("catalogue")
    product_id = level.variant.product_id

    first = api.call("delete", f"/products/{product_id}")
    second = api.call("delete", f"/products/{product_id}")

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["status"] == second.json()["status"] == "archived"
    assert Product.objects.filter(pk=product_id).exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/products/999999", {"name": "x"}),
        ("delete", "/products/999999", None),
        ("patch", "/variants/NO-SUCH-SKU", {"stock": 1}),
    ],
)
def test_unknown_ids_get_404(method, path, body):
    response = as_("owner").call(method, path, body)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_upload_an_image(level):
    product_id = level.variant.product_id
    api = as_("catalogue")

    response = api.upload(
        f"/products/{product_id}/images", {"image": jpeg(size=(300, 200)), "alt": "A lamp"}
    )

    assert response.status_code == 201
    body = response.json()
    image = ProductImage.objects.get()
    assert body == {
        "id": image.pk,
        "url": image.image.url,
        "alt": "A lamp",
        "width": 300,
        "height": 200,
        "position": 0,
    }
    assert api.upload(f"/products/{product_id}/images", {"image": jpeg()}).json()["position"] == 1


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (lambda: upload("bomb.png", pixel_flood_png(), "image/png"), "too many pixels"),
        (lambda: upload("logo.svg", SVG, "image/svg+xml"), "SVG pictures are not accepted"),
        (lambda: upload("notes.jpg", b"plain text " * 50), "not a picture we accept"),
        (lambda: upload("huge.jpg", oversized_file()), "larger than 10 MB"),
        (lambda: upload("half.jpg", truncated_jpeg()), "damaged or incomplete"),
    ],
)
def test_image_attacks_get_400_with_a_reason(level, file, message):
    response = as_("catalogue").upload(
        f"/products/{level.variant.product_id}/images", {"image": file()}
    )

    assert response.status_code == 400
    body = response.json()
    assert message in body["detail"] and message in body["errors"]["image"][0]
    assert not ProductImage.objects.exists()


def test_image_upload_without_a_file(level):
    response = as_("catalogue").upload(f"/products/{level.variant.product_id}/images", {})
    assert response.status_code == 422
    assert "image" in response.json()["errors"]


def test_patch_variant_sets_stock_and_prices(level):
    user = make_person("catalogue")

    response = Api(user).call(
        "patch",
        "/variants/LAMP-1",
        {"stock": 12, "price": "22.50", "compare_at_price": "30.00"},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["stock"], body["available"], body["price"], body["compare_at_price"]) == (
        12,
        12,
        "22.50",
        "30.00",
    )
    movement = StockMovement.objects.get()
    assert (movement.on_hand_change, movement.reason, movement.created_by) == (
        7,
        "correction",
        user,
    )
    assert PriceChange.objects.filter(changed_by=user).count() == 2
    level.variant.product.refresh_from_db()
    assert level.variant.product.price_from == Decimal("22.50")


def test_patch_variant_is_idempotent(level):
    api = as_("catalogue")
    body = {"stock": 8, "price": "25.00"}

    first = api.call("patch", "/variants/LAMP-1", body)
    second = api.call("patch", "/variants/LAMP-1", body)

    assert first.json() == second.json()
    assert StockMovement.objects.count() == 1
    assert PriceChange.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"stock": -1}, 422, "stock"),
        ({"stock": 1.5}, 422, "stock"),
        ({"stock": "x"}, 422, "stock"),
        ({"stock": None}, 400, "stock"),
        ({"price": "abc"}, 400, "price"),
        ({"price": "-1"}, 400, "price"),
        ({"price": "1.234"}, 400, "price"),
        ({"price": None}, 400, "price"),
        ({"price": 12.5}, 422, "price"),
        ({"sku": "NEW"}, 422, "sku"),
        ({"stock": 3, "price": "x"}, 400, "price"),
    ],
)
def test_patch_variant_refuses_bad_values_and_changes_nothing(level, body, status, field):
    response = as_("owner").call("patch", "/variants/LAMP-1", body)

    assert response.status_code == status, response.content
    assert field in response.json()["errors"]
    assert StockLevel.objects.get(pk=level.pk).on_hand == 5
    assert Variant.objects.get(pk=level.variant_id).price == Decimal("20.00")
    assert not StockMovement.objects.exists() and not PriceChange.objects.exists()


def test_stock_below_what_orders_hold_is_a_conflict(level):
    StockLevel.objects.filter(pk=level.pk).update(allocated=4)

    response = as_("owner").call("patch", "/variants/LAMP-1", {"stock": 3, "price": "1.00"})

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert Variant.objects.get(pk=level.variant_id).price == Decimal("20.00")


def test_session_of_the_back_office_works_with_its_csrf_token(level):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_person("warehouse"))

    refused = client.patch(
        BASE + "/variants/LAMP-1", json.dumps({"stock": 1}), content_type="application/json"
    )
    assert refused.status_code == 403

    client.get("/backoffice/")
    token = client.cookies["csrftoken"].value
    response = client.patch(
        BASE + "/variants/LAMP-1",
        json.dumps({"stock": 1}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_stock_takes_through_the_api_keep_the_ledger_right():
    level = StockLevelFactory(on_hand=0, variant__sku="RACE-1")
    apis = [as_("warehouse") for _ in range(6)]
    figures = [3, 8, 1, 12, 5, 7]

    outcomes = run_concurrently(
        lambda api, stock: api.call("patch", "/variants/RACE-1", {"stock": stock}),
        list(zip(apis, figures, strict=True)),
    )

    assert [response.status_code for response, _ in outcomes] == [200] * 6
    on_hand = StockLevel.objects.get(pk=level.pk).on_hand
    ledger = StockMovement.objects.filter(variant=level.variant).aggregate(s=Sum("on_hand_change"))
    assert on_hand in figures
    assert ledger["s"] == on_hand
    assert StockMovement.objects.order_by("-id").first().on_hand_after == on_hand


@pytest.mark.django_db(transaction=True)
def test_concurrent_price_changes_all_reach_the_history():
    StockLevelFactory(on_hand=0, variant__sku="RACE-2", variant__price=Decimal("10.00"))
    apis = [as_("catalogue") for _ in range(5)]
    prices = ["11.00", "12.00", "13.00", "14.00", "15.00"]

    outcomes = run_concurrently(
        lambda api, price: api.call("patch", "/variants/RACE-2", {"price": price}),
        list(zip(apis, prices, strict=True)),
    )

    assert [response.status_code for response, _ in outcomes] == [200] * 5
    # Each change starts from the price the one before it left: a chain with no gaps.
    changes = list(PriceChange.objects.order_by("id").values_list("old_value", "new_value"))
    assert changes[0][0] == Decimal("10.00")
    assert all(changes[i][1] == changes[i + 1][0] for i in range(len(changes) - 1))
    assert changes[-1][1] == Variant.objects.get(sku="RACE-2").price


def test_product_fields_reach_the_product_list(level):
    ProductFactory()
    as_("catalogue").call("post", "/products", new_product_body())

    assert Product.objects.get(slug="linen-camp-shirt").price_from == Decimal("39.00")
