"""Two app servers, one shop: two gunicorn instances on loopback sharing this machine's
PostgreSQL and Redis, as several stateless app servers behind a load balancer do.

- a shopper's session and cart started on node A finish checkout on node B;
- a price changed through node A shows on node B's next anonymous page view (the page cache
  lives in the shared Redis and its catalogue version moves for both);
- 20 buyers at once, spread over both nodes, on 5 units in stock get exactly 5 orders;
- login attempts are counted in Redis, so both nodes share one rate limit.

The nodes run with production settings (DEBUG=0, the deploy/ gunicorn configuration, tasks
queued in the database) in a database of their own, made for the test and dropped after it.
Where PostgreSQL or Redis is not reachable the test is skipped with the reason, except in CI
(CI set), where that is a failure.
"""

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from .helpers import PYTHON, ROOT, environment, manage, run_python

# One pair of nodes per test run: with `-n auto --dist loadgroup` (make test) every test of this
# module runs in the same worker, which starts the nodes once.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("two_nodes")]

STOCK, BUYERS = 5, 20
LOGIN_WINDOW = 24 * 60 * 60  # seconds
PASSWORD = "two-node-test-password"
ADDRESS = {
    "full_name": "Ada Lovelace",
    "phone": "+44 20 7946 0000",
    "line1": "12 Analytical Row",
    "line2": "",
    "city": "London",
    "region": "",
    "postal_code": "N1 7GU",
    "country": "GB",
}
SEED = f"""
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from mallkit.accounts import roles
from mallkit.accounts.models import User
from mallkit.checkout.models import ShippingMethod
from tests.storefront.factories import make_product

ShippingMethod.objects.create(code="standard", name="Standard delivery", price="5.00")
make_product("Limited Lamp", "10.00", sku="LIMITED-1", stock={STOCK})
teapot = make_product("Stoneware Teapot", "20.00", sku="TEA-1", stock=1000)
# One Argon2 hash of the password for every account: hashing it 21 times costs seconds.
hashed = make_password("{PASSWORD}")


def member(email, **fields):
    user = User.objects.create_user(email=email, password=None, **fields)
    user.password = hashed
    user.save(update_fields=["password"])
    return user


owner = member("owner@example.com", is_staff=True)
owner.groups.add(Group.objects.get(name=roles.OWNER))
for number in range({BUYERS}):
    member(f"buyer{{number}}@example.com")
print(json.dumps({{"teapot": teapot.slug}}))
"""
COUNTS = """
from mallkit.inventory.models import StockLevel
from mallkit.orders.models import Order, OrderLine
level = StockLevel.objects.get(variant__sku="LIMITED-1")
print(json.dumps({
    "orders": Order.objects.filter(lines__sku="LIMITED-1").distinct().count(),
    "units": sum(OrderLine.objects.filter(sku="LIMITED-1").values_list("quantity", flat=True)),
    "on_hand": level.on_hand,
    "allocated": level.allocated,
    "web_order": list(
        Order.objects.filter(email="shopper@example.com").values_list("number", flat=True)
    ),
}))
"""


# The services --------------------------------------------------------------------------------


def unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it (.ci/run starts PostgreSQL and Redis)")
    pytest.skip(f"{reason} (the two-node test needs this machine's PostgreSQL and Redis)")


def postgres_server() -> dict:
    """The PostgreSQL server of the suite (DATABASE_URL on PostgreSQL), else the local one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = os.environ.get("MALLKIT_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/")
    parts = urllib.parse.urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": urllib.parse.unquote(parts.username or "postgres"),
        "password": urllib.parse.unquote(parts.password or ""),
    }


def admin_connection(server: dict):
    import psycopg

    options = {key: value for key, value in server.items() if value}
    return psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3, **options)


def redis_url() -> str:
    base = os.environ.get("MALLKIT_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    # A database of its own; the key prefix keeps even a shared one apart.
    return f"{base.rstrip('/')}/9"


# The nodes ------------------------------------------------------------------------------------


class Node:
    """One gunicorn instance: started with the deploy/ configuration on a free loopback port."""

    def __init__(self, name: str, env: dict):
        self.name = name
        self.lines: list[str] = []
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
            [
                PYTHON,
                "-m",
                "gunicorn",
                "--config",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "mallkit.wsgi:application",
            ],
            env={**env, "GUNICORN_BIND": "127.0.0.1:0", "WEB_CONCURRENCY": "2"},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.listening = threading.Event()
        self.port = None
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self.listening.wait(60) or self.port is None:
            self.stop()
            raise AssertionError(f"node {name} did not start:\n" + "\n".join(self.lines[-40:]))
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_until_healthy()

    def _read_log(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                self.listening.set()
        self.listening.set()

    def _wait_until_healthy(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError(f"node {self.name} never became healthy")

    def log_entries(self) -> list[dict]:
        entries = []
        for line in list(self.lines):
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
        return entries

    def tail(self, count: int = 60) -> str:
        """The end of the node's log, for a failing assertion to show."""
        return "\n".join(self.lines[-count:])

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import psycopg
    import redis

    server = postgres_server()
    try:
        admin_connection(server).close()
    except psycopg.Error as error:
        unavailable(f"PostgreSQL at {server['host']}:{server['port']} is not reachable ({error})")
    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {url} is not reachable ({error})")

    name = f"mallkit_twonode_{os.getpid()}"
    prefix = f"twonode-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    with admin_connection(server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    folder = tmp_path_factory.mktemp("two-nodes")
    credentials = server["user"] + (f":{server['password']}" if server["password"] else "")
    env = environment(
        DATABASE_URL=f"postgres://{credentials}@{server['host']}:{server['port']}/{name}",
        REDIS_URL=url,
        CACHE_KEY_PREFIX=prefix,
        DEBUG="0",
        SECRET_KEY="two-node-test-secret-key-shared-by-both-nodes-0123456789abcdefghij",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        # Both nodes sit behind one "proxy": each test client says who it is in the header.
        BEHIND_PROXY="1",
        TRUSTED_PROXY_COUNT="1",
        # A day's window: the login test waits for a fresh window only in a day's last minute.
        MALLKIT_RATE_LIMIT_LOGIN=f"10/{LOGIN_WINDOW}",
        MALLKIT_RATE_LIMIT_CHECKOUT="1000/600",
        MALLKIT_PAYMENT_GATEWAYS="mallkit.payments.gateways.offline.CashOnDelivery",
        MALLKIT_PAGE_CACHE_SECONDS="300",
        LOG_FORMAT="json",
        MEDIA_ROOT=folder / "media",
        STATIC_ROOT=folder / "static",
        EMAIL_URL="console://",
    )
    nodes = []
    try:
        manage("migrate", "--no-input", env=env, timeout=300)
        manage("collectstatic", "--no-input", env=env)
        seeded = run_python(SEED, env=env)
        nodes = [Node("A", env), Node("B", env)]
        yield {"a": nodes[0], "b": nodes[1], "env": env, **seeded}
    finally:
        for node in nodes:
            node.stop()
        with admin_connection(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        keys = redis.Redis.from_url(url)
        for key in keys.scan_iter(match=f"{prefix}:*", count=500):
            keys.delete(key)


# A client with cookies, as a browser --------------------------------------------------------------


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Shopper:
    """One visitor: a cookie jar used against any node, and the address the proxy saw."""

    def __init__(self, address: str):
        self.jar = http.cookiejar.CookieJar()
        self.address = address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirects()
        )

    def cookie(self, name: str) -> str:
        return next((cookie.value for cookie in self.jar if cookie.name == name), "")

    def request(self, node, method, path, *, form=None, json_body=None, headers=None):
        data, sent = None, {"X-Forwarded-For": self.address, **(headers or {})}
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookie("csrftoken"), **form}
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        if method != "GET" and self.cookie("csrftoken"):
            sent["X-CSRFToken"] = self.cookie("csrftoken")
        request = urllib.request.Request(node.url + path, data=data, method=method, headers=sent)
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.status, dict(answer.headers), answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, dict(answer.headers), answer.read().decode()


# The tests ----------------------------------------------------------------------------------------


def test_both_nodes_are_healthy_and_log_one_json_line_per_request(cluster):
    visitor = Shopper("198.51.100.10")
    for node in (cluster["a"], cluster["b"]):
        status, headers, body = visitor.request(
            node, "GET", "/healthz", headers={"X-Request-ID": f"health-{node.name}"}
        )
        assert (status, json.loads(body)) == (
            200,
            {"database": "ok", "cache": "ok", "storage": "ok"},
        )
        assert headers["X-Request-ID"] == f"health-{node.name}"

    time.sleep(0.5)  # the log line is written as the answer leaves
    for node in (cluster["a"], cluster["b"]):
        [entry] = [e for e in node.log_entries() if e.get("request_id") == f"health-{node.name}"]
        assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/healthz", 200)
        assert entry["logger"] == "mallkit.request"
        assert entry["duration_ms"] >= 0


def test_a_cart_started_on_one_node_is_checked_out_on_the_other(cluster):
    a, b = cluster["a"], cluster["b"]
    shopper = Shopper("198.51.100.20")

    # Node A: the product page sets the CSRF cookie; the cart starts the session.
    status, _, _ = shopper.request(a, "GET", f"/products/{cluster['teapot']}/")
    assert status == 200
    status, headers, _ = shopper.request(
        a, "POST", "/cart/add/", form={"sku": "TEA-1", "quantity": "2"}
    )
    assert status == 302, headers
    assert shopper.cookie("sessionid")

    # Node B knows the session and the cart, and the checkout goes on there.
    status, _, page = shopper.request(b, "GET", "/cart/")
    assert status == 200 and "Stoneware Teapot" in page
    steps = [
        ("/checkout/", {"email": "shopper@example.com", **ADDRESS}, "/checkout/shipping/"),
        ("/checkout/shipping/", {"method": "standard"}, "/checkout/payment/"),
        ("/checkout/payment/", {"method": "cod"}, "/checkout/review/"),
    ]
    for path, form, following in steps:
        status, headers, body = shopper.request(b, "POST", path, form=form)
        assert (status, headers.get("Location")) == (302, following), body[-2000:]
    status, _, review = shopper.request(b, "GET", "/checkout/review/")
    assert status == 200
    token = re.search(r'name="token" value="([^"]+)"', review).group(1)
    status, headers, _ = shopper.request(b, "POST", "/checkout/place/", form={"token": token})
    assert status == 302, b.tail()
    assert headers["Location"].startswith("/checkout/complete/")

    # The confirmation, asked of node A this time.
    status, _, page = shopper.request(a, "GET", headers["Location"])
    assert status == 200
    [number] = run_python(COUNTS, env=cluster["env"])["web_order"]
    assert number in page


def test_a_price_changed_on_one_node_shows_on_the_other(cluster):
    a, b = cluster["a"], cluster["b"]
    page = f"/products/{cluster['teapot']}/"
    # Anonymous visitors of both nodes get the page from the shared cache.
    for node in (a, b, b):
        status, _, body = Shopper("198.51.100.30").request(node, "GET", page)
        assert status == 200 and "$20.00" in body

    owner = Shopper("198.51.100.31")
    status, _, body = owner.request(
        a,
        "POST",
        "/api/v1/auth/token",
        json_body={"email": "owner@example.com", "password": PASSWORD},
    )
    assert status == 201, body
    bearer = {"Authorization": f"Bearer {json.loads(body)['token']}"}
    status, _, body = owner.request(
        a, "PATCH", "/api/v1/staff/variants/TEA-1", json_body={"price": "24.00"}, headers=bearer
    )
    assert status == 200, body

    status, _, body = Shopper("198.51.100.32").request(b, "GET", page)
    assert status == 200
    assert "$24.00" in body and "$20.00" not in body


def test_twenty_buyers_on_both_nodes_get_exactly_the_five_units(cluster):
    nodes = [cluster["a"], cluster["b"]]
    buyers = [Shopper(f"203.0.113.{number + 1}") for number in range(BUYERS)]

    def prepare(number):
        buyer, node = buyers[number], nodes[number % 2]
        status, _, body = buyer.request(
            node,
            "POST",
            "/api/v1/auth/token",
            json_body={"email": f"buyer{number}@example.com", "password": PASSWORD},
        )
        assert status == 201, body
        bearer = {"Authorization": f"Bearer {json.loads(body)['token']}"}
        status, _, body = buyer.request(
            node,
            "POST",
            "/api/v1/cart/lines",
            json_body={"sku": "LIMITED-1", "quantity": 1},
            headers=bearer,
        )
        assert status in {200, 201}, body
        return bearer

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        bearers = list(pool.map(prepare, range(BUYERS)))

    start = threading.Barrier(BUYERS)

    def buy(number):
        start.wait()
        # Checkout on the other node than the cart was filled on.
        return buyers[number].request(
            nodes[(number + 1) % 2],
            "POST",
            "/api/v1/checkout",
            json_body={
                "shipping_address": ADDRESS,
                "shipping_method": "standard",
                "payment_method": "cod",
            },
            headers={**bearers[number], "Idempotency-Key": uuid.uuid4().hex},
        )

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        answers = list(pool.map(buy, range(BUYERS)))

    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [201] * STOCK + [409] * (BUYERS - STOCK), answers
    refusals = [json.loads(body)["code"] for status, _, body in answers if status == 409]
    assert set(refusals) == {"insufficient_stock"}
    counts = run_python(COUNTS, env=cluster["env"])
    assert (counts["orders"], counts["units"]) == (STOCK, STOCK)
    assert (counts["on_hand"], counts["allocated"]) == (STOCK, STOCK)


def test_both_nodes_count_login_attempts_together(cluster):
    # 10 attempts per address in a day, counted in Redis: whichever node gets the 11th
    # answers 429, though neither saw more than 6.
    # A new account each time, so django-axes' lockout of one account never steps in.
    nodes = [cluster["a"], cluster["b"]]
    attacker = Shopper("198.51.100.66")
    # The limiter counts in fixed windows from the epoch: twelve attempts that straddle the turn
    # of a window would be counted in two, so start them in a fresh one if it is near.
    left = LOGIN_WINDOW - time.time() % LOGIN_WINDOW
    if left < 60:
        time.sleep(left + 1)
    answers = [
        attacker.request(
            nodes[attempt % 2],
            "POST",
            "/api/v1/auth/token",
            json_body={"email": f"guess{attempt}@example.com", "password": "guess"},
        )
        for attempt in range(12)
    ]

    assert [status for status, _, _ in answers] == [401] * 10 + [429, 429]
    assert {json.loads(body)["code"] for _, _, body in answers[10:]} == {"rate_limited"}
    # Another address is not slowed down.
    status, _, _ = Shopper("198.51.100.67").request(
        nodes[0],
        "POST",
        "/api/v1/auth/token",
        json_body={"email": "owner@example.com", "password": PASSWORD},
    )
    assert status == 201
