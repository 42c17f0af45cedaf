"""Property tests: whatever a client sends, the API answers JSON with a status below 500."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .factories import CategoryFactory, make_product

pytestmark = pytest.mark.django_db

PARAMETERS = ["q", "category", "min_price", "max_price", "in_stock", "sort", "page", "page_size"]
# Anything a URL can carry (lone surrogates cannot be encoded), with the usual troublemakers.
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60) | st.sampled_from(
    ["", "0", "-1", "1e999", "NaN", "1.005", "9" * 30, "true", "price", "'", '"', "*", "\x00"]
)
CHECKS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def products():
    shelf = CategoryFactory(slug="shelf")
    make_product(
        name="Brass lamp",
        categories=[shelf],
        images=1,
        variants=[{"price": Decimal("12.50"), "stock": 2, "options": {"Colour": "Red"}}],
    )


def assert_json_below_500(response):
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"detail", "code", "errors"}


@CHECKS
@given(
    params=st.dictionaries(st.sampled_from(PARAMETERS), text, max_size=5),
    options=st.lists(text, max_size=3),
)
def test_any_product_list_parameters(client, products, params, options):
    assert_json_below_500(client.get("/api/v1/products", {**params, "option": options}))


@CHECKS
@given(slug=text.filter(lambda s: s and "/" not in s and s not in {".", ".."}))
def test_any_product_slug(client, products, slug):
    assert_json_below_500(client.get(f"/api/v1/products/{slug}"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


@CHECKS
@given(
    body=st.fixed_dictionaries(
        {}, optional={"email": json_values, "password": json_values, "name": json_values}
    )
    | json_values
)
def test_any_token_request(client, body):
    assert_json_below_500(client.post("/api/v1/auth/token", body, content_type="application/json"))
