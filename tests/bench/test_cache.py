"""The page and fragment cache: keys follow the catalogue version, write services move it, and
nothing personal is ever stored or shown to someone else."""

import re

import pytest
from django import forms
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mallkit.catalog.services import update_variant
from mallkit.core import cache as page_cache
from mallkit.inventory.services import adjust_stock, allocate_stock, release_stock, set_stock
from tests.factories import UserFactory
from tests.storefront.factories import CategoryFactory, make_product

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.MALLKIT_MODE = "shop"
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_PAGE_CACHE_SECONDS = 300
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def teapot():
    shelf = CategoryFactory(name="Teaware", slug="teaware")
    return make_product("Stoneware Teapot", "10.00", stock=10, categories=[shelf])


def queries(client, url, **extra) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured), response.content.decode()


# Keys and versions -------------------------------------------------------------------------------


def test_a_bump_gives_every_key_a_new_version():
    before = page_cache.versioned_key("page", "/")

    page_cache.bump_catalog_version()

    assert page_cache.versioned_key("page", "/") != before
    assert page_cache.versioned_key("page", "/") == page_cache.versioned_key("page", "/")


def test_long_keys_are_hashed_to_a_short_one():
    key = page_cache.versioned_key("page", "/search/?q=" + "tea" * 200)

    assert len(key) < 120


def test_without_a_shared_cache_the_version_is_kept_where_every_process_reads_it():
    version = page_cache.bump_catalog_version()
    # Another worker's local memory does not have it; the file that all of them read does.
    cache.clear()

    assert page_cache.catalog_version() == version
    assert page_cache._version_file().read_text() == version


def test_with_redis_the_version_lives_in_redis(settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"mallkit-test-{connection.settings_dict['NAME']}",
        }
    }
    from django.core.cache import cache as redis_cache

    version = page_cache.bump_catalog_version()

    assert redis_cache.get(page_cache.VERSION_KEY) == version
    assert page_cache.catalog_version() == version
    redis_cache.delete(page_cache.VERSION_KEY)


def test_a_fragment_is_computed_once_per_catalogue_version():
    calls = []

    def compute():
        calls.append(1)
        return ["Teaware"]

    assert page_cache.cached_fragment("menu", compute, vary=["en"]) == ["Teaware"]
    assert page_cache.cached_fragment("menu", compute, vary=["en"]) == ["Teaware"]
    assert len(calls) == 1
    page_cache.catalog_changed()
    page_cache.cached_fragment("menu", compute, vary=["en"])
    assert len(calls) == 2


def test_write_services_move_the_version_now_and_again_at_commit(
    teapot, django_capture_on_commit_callbacks
):
    variant = teapot.variants.get()
    before = page_cache.catalog_version()

    with django_capture_on_commit_callbacks() as callbacks:
        update_variant(variant=variant, changes={"price": "12.00"})

    assert page_cache.catalog_version() != before
    assert page_cache.bump_catalog_version in callbacks


# Invalidation ------------------------------------------------------------------------------------


def test_a_price_change_through_the_service_shows_on_the_next_anonymous_view(
    client, teapot, django_capture_on_commit_callbacks
):
    variant = teapot.variants.get()
    page, listing, api = teapot.get_absolute_url(), "/categories/teaware/", "/api/v1/products"
    for url in (page, listing, api):
        assert "10.00" in client.get(url).content.decode()
        cached, _ = queries(client, url)
        assert cached == 0

    with django_capture_on_commit_callbacks(execute=True):
        update_variant(variant=variant, changes={"price": "12.50"})

    for url in (page, listing):
        html = client.get(url).content.decode()
        assert "$12.50" in html and "$10.00" not in html
    assert client.get(api).json()["items"][0]["price_from"] == "12.50"


def test_a_stock_change_through_the_service_updates_the_stock_status(
    client, teapot, django_capture_on_commit_callbacks
):
    variant = teapot.variants.get()
    page = teapot.get_absolute_url()
    assert "In stock" in client.get(page).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        set_stock(variant_id=variant.pk, on_hand=0)
    assert "Out of stock" in client.get(page).content.decode()
    assert "Out of stock" in client.get("/categories/teaware/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant_id=variant.pk, change=3, reason="received")
    assert "Only 3 left" in client.get(page).content.decode()


def test_a_missing_page_is_not_stored(client):
    assert client.get("/products/later/").status_code == 404

    make_product("Later", slug="later")

    assert client.get("/products/later/").status_code == 200


# Nothing personal --------------------------------------------------------------------------------


def test_a_member_never_gets_or_fills_the_shared_cache(client, teapot):
    anonymous = Client()
    assert "Sign in" in anonymous.get("/").content.decode()
    client.force_login(UserFactory())

    html = client.get("/").content.decode()

    assert "Sign in" not in html and 'href="/account/"' in html
    assert "Sign in" in anonymous.get("/").content.decode()
    assert 'href="/account/"' not in Client().get("/").content.decode()


def test_a_shopper_with_a_cart_never_shares_pages_with_others(client, teapot):
    variant = teapot.variants.get()
    assert client.get("/").status_code == 200  # the anonymous page is now cached
    response = client.post("/cart/add/", {"sku": variant.sku, "quantity": "2", "next": "/"})
    assert response.status_code == 302

    own = client.get("/").content.decode()
    other = Client().get("/").content.decode()

    assert "Items in cart: </span>2</span>" in own
    assert "Items in cart: </span>2</span>" not in other
    assert "Items in cart: </span>0</span>" in other
    # And the cart holder's page was not stored for others either.
    assert "Items in cart: </span>2</span>" not in Client().get("/").content.decode()


def test_a_visitor_with_messages_waiting_is_answered_afresh(client, teapot):
    client.get("/")
    client.cookies["messages"] = "waiting"

    assert client.get("/").templates


def test_each_visitor_gets_their_own_csrf_token_and_can_post(teapot):
    first = Client(enforce_csrf_checks=True)
    second = Client(enforce_csrf_checks=True)
    first_page = first.get(teapot.get_absolute_url()).content.decode()
    second_page = second.get(teapot.get_absolute_url()).content.decode()

    first_tokens, second_tokens = TOKEN.findall(first_page), TOKEN.findall(second_page)
    assert first_tokens and second_tokens
    assert page_cache.CSRF_PLACEHOLDER not in second_page
    assert set(first_tokens).isdisjoint(second_tokens)
    assert second.cookies["csrftoken"].value != first.cookies["csrftoken"].value
    # The language switcher and "Add to cart" of the page served from the cache both work.
    changed = second.post(
        "/i18n/setlang/",
        {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": second_tokens[0]},
    )
    assert changed.status_code == 302
    added = second.post(
        "/cart/add/",
        {
            "sku": teapot.variants.get().sku,
            "quantity": "1",
            "csrfmiddlewaretoken": second_tokens[-1],
        },
    )
    assert added.status_code == 302


def test_the_language_and_the_query_string_are_part_of_the_key(client, teapot):
    english = client.get("/search/?q=teapot").content.decode()
    chinese = client.get("/search/?q=teapot", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    other = client.get("/search/?q=kettle").content.decode()

    assert 'lang="en"' in english and 'lang="zh-hans"' in chinese
    assert "Stoneware Teapot" in english and "Stoneware Teapot" not in other


def test_htmx_and_authorised_requests_are_answered_afresh(client, teapot):
    client.get(teapot.get_absolute_url())

    for extra in ({"HTTP_HX_REQUEST": "true"}, {"HTTP_AUTHORIZATION": "Bearer mk_unknown"}):
        assert client.get(teapot.get_absolute_url(), **extra).templates
    assert not client.get(teapot.get_absolute_url()).templates


def test_a_cached_answer_costs_no_query(client, teapot):
    for url in ("/", "/categories/teaware/", teapot.get_absolute_url(), "/search/?q=tea"):
        first, _ = queries(client, url)
        second, _ = queries(client, url)

        assert first > 0
        assert second == 0


def test_no_page_is_cached_when_the_cache_time_is_zero(client, settings, teapot):
    settings.MALLKIT_PAGE_CACHE_SECONDS = 0
    client.get("/")

    count, _ = queries(client, "/")

    assert count > 0


def test_members_pages_reuse_the_shared_fragments_but_not_the_page(client, teapot):
    member = UserFactory()
    client.force_login(member)
    first, _ = queries(client, "/")
    second, html = queries(client, "/")

    assert 0 < second < first
    assert "Sign in" not in html


def test_orders_move_the_version_only_when_shoppers_would_see_the_stock_change(
    client, django_capture_on_commit_callbacks
):
    product = make_product("Oak Tray", "20.00", stock=100)
    variant = product.variants.get()
    page = product.get_absolute_url()
    assert "In stock" in client.get(page).content.decode()
    before = page_cache.catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        allocate_stock(quantities={variant.pk: 90})
    assert page_cache.catalog_version() == before
    assert "In stock" in client.get(page).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        allocate_stock(quantities={variant.pk: 7})
    assert "Only 3 left" in client.get(page).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        release_stock(quantities={variant.pk: 97})
    assert "In stock" in client.get(page).content.decode()


def test_a_lists_facets_are_computed_once_for_all_its_pages_and_orders(client, teapot, monkeypatch):
    from mallkit.catalog import selectors

    computed = []
    facets = selectors.facets
    monkeypatch.setattr(selectors, "facets", lambda filters: computed.append(1) or facets(filters))
    member = Client()
    member.force_login(UserFactory())  # members' pages are never cached whole

    for url in (
        "/categories/teaware/",
        "/categories/teaware/?sort=price",
        "/categories/teaware/?page=2",
        "/categories/teaware/?sort=-price&page=1",
    ):
        assert "Stoneware Teapot" in member.get(url).content.decode()
    assert len(computed) == 1

    member.get("/categories/teaware/?in_stock=1")
    assert len(computed) == 2
    page_cache.catalog_changed()
    member.get("/categories/teaware/")
    assert len(computed) == 3


def test_a_lists_count_is_shared_by_its_pages_and_orders(client, teapot):
    member = Client()
    member.force_login(UserFactory())
    member.get("/categories/teaware/")

    with CaptureQueriesContext(connection) as queries:
        html = member.get("/categories/teaware/?sort=price").content.decode()

    assert "Stoneware Teapot" in html
    assert not [query for query in queries if "COUNT(" in query["sql"].upper()]

    # The factory writes rows directly; the catalogue services move the version like this.
    make_product("Celadon Teapot", "14.00", stock=2, categories=[teapot.categories.get()])
    page_cache.catalog_changed()
    html = member.get("/categories/teaware/?sort=price").content.decode()
    assert "Stoneware Teapot" in html and "Celadon Teapot" in html


def test_a_change_in_the_django_admin_shows_on_the_next_anonymous_view(client, teapot):
    shelf = teapot.categories.get()
    assert "Teaware" in Client().get("/categories/teaware/").content.decode()  # now cached
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/catalog/category/{shelf.pk}/change/"
    form = client.get(url).context["adminform"].form
    # The form as the page shows it (pictures left as they are), with a new name.
    data = {
        name: "" if form[name].value() is None else form[name].value()
        for name, field in form.fields.items()
        if not isinstance(field, forms.FileField)
    }
    data["name"] = "Tea Things"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "Tea Things" in Client().get("/categories/teaware/").content.decode()
