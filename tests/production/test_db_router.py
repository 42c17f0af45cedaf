"""DATABASE_REPLICA_URL: catalogue reads of browsing requests go to the replica; writes,
checkout, carts, transactions and everything outside a request stay on the primary."""

import sqlite3

import pytest
from django.db import transaction
from django.test import RequestFactory

from mallkit.catalog.models import Product
from mallkit.core import db_router
from mallkit.orders.models import Order

from .helpers import environment, manage, run_python


@pytest.fixture
def replica(monkeypatch):
    """Decisions as if a replica were configured (this process's settings have none)."""
    monkeypatch.setattr(db_router, "replica_alias", lambda: "replica")


def decided_during(request, model):
    """Where `model` is read while ReplicaMiddleware serves `request`."""
    seen = []
    middleware = db_router.ReplicaMiddleware(lambda r: seen.append(db_router.read_database(model)))
    middleware(request)
    return seen[0]


def test_catalogue_reads_of_a_browsing_request_use_the_replica(replica):
    rf = RequestFactory()

    assert decided_during(rf.get("/products/lamp/"), Product) == "replica"
    assert decided_during(rf.head("/categories/lamps/"), Product) == "replica"
    assert decided_during(rf.get("/api/v1/products"), Product) == "replica"


def test_writes_and_primary_only_pages_use_the_primary(replica):
    rf = RequestFactory()

    assert decided_during(rf.post("/products/lamp/enquiry/"), Product) == "default"
    for path in ("/checkout/", "/cart/", "/backoffice/products/", "/api/v1/checkout"):
        assert decided_during(rf.get(path), Product) == "default", path


def test_other_apps_always_use_the_primary(replica):
    assert decided_during(RequestFactory().get("/products/lamp/"), Order) == "default"


@pytest.mark.django_db
def test_reads_inside_a_transaction_use_the_primary(replica):
    seen = []

    def view(request):
        with transaction.atomic():
            seen.append(db_router.read_database(Product))
        return seen

    db_router.ReplicaMiddleware(view)(RequestFactory().get("/products/lamp/"))

    assert seen == ["default"]


def test_outside_requests_everything_uses_the_primary(replica):
    # Commands, tasks and workers read what they are about to change.
    assert db_router.read_database(Product) == "default"


def test_writes_always_go_to_the_primary():
    assert db_router.ReplicaRouter().db_for_write(Product) == "default"
    assert db_router.ReplicaRouter().allow_migrate("replica", "catalog") is False
    assert db_router.ReplicaRouter().allow_migrate("default", "catalog") is True


def test_two_databases_end_to_end(tmp_path):
    """A shop on two SQLite files, the second standing in for a streaming replica."""
    primary, copy = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    env = environment(
        DATABASE_URL=f"sqlite:///{primary}",
        DEBUG="1",
        ALLOWED_HOSTS="testserver",
        MEDIA_ROOT=tmp_path,
    )
    manage("migrate", "--no-input", env=env)
    made = run_python(
        "from tests.storefront.factories import make_product\n"
        "product = make_product('Desk Lamp', sku='LAMP-1', stock=5)\n"
        "print(json.dumps({'slug': product.slug}))\n",
        env=env,
    )
    # The replica is a copy of the primary that tells which of the two answered.
    with sqlite3.connect(primary) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        target.execute("UPDATE catalog_product SET name = 'Desk Lamp (replica)'")

    result = run_python(
        "from django.test import Client\n"
        "from mallkit.cart.models import CartLine\n"
        "from mallkit.catalog.models import Product\n"
        f"slug = {made['slug']!r}\n"
        "client = Client()\n"
        "page = client.get(f'/products/{slug}/').content.decode()\n"
        "client.post('/cart/add/', {'sku': 'LAMP-1', 'quantity': '1'})\n"
        "cart = client.get('/cart/').content.decode()\n"
        "print(json.dumps({\n"
        "  'page_from_replica': 'Desk Lamp (replica)' in page,\n"
        "  'cart_from_primary': 'Desk Lamp' in cart and '(replica)' not in cart,\n"
        "  'outside_a_request': Product.objects.get(slug=slug).name,\n"
        "  'lines_on_primary': CartLine.objects.using('default').count(),\n"
        "  'lines_on_replica': CartLine.objects.using('replica').count(),\n"
        "}))\n",
        env={**env, "DATABASE_REPLICA_URL": f"sqlite:///{copy}"},
    )

    assert result == {
        "page_from_replica": True,
        "cart_from_primary": True,
        "outside_a_request": "Desk Lamp",
        "lines_on_primary": 1,
        "lines_on_replica": 0,
    }
