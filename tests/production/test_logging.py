"""Structured logs: one line per request and per order event, JSON with LOG_FORMAT=json."""

import json
import logging
import re

import pytest

from mallkit.core.logging import JSONFormatter, TextFormatter, request_id_var
from tests.payments.helpers import place_order

from .helpers import environment, run_python

pytestmark = pytest.mark.django_db


def request_records(caplog):
    return [record for record in caplog.records if record.name == "mallkit.request"]


def test_one_line_per_request_with_the_incoming_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="mallkit.request"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-4f2a9c")

    assert response["X-Request-ID"] == "nginx-4f2a9c"
    [record] = request_records(caplog)
    assert record.fields["method"] == "GET"
    assert record.fields["path"] == "/healthz"
    assert record.fields["status"] == 200
    assert record.fields["request_id"] == "nginx-4f2a9c"
    assert record.fields["duration_ms"] >= 0


def test_a_request_without_an_id_gets_a_new_one(client, caplog):
    with caplog.at_level(logging.INFO, logger="mallkit.request"):
        first = client.get("/healthz")
        second = client.get("/no-such-page/")

    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    statuses = [record.fields["status"] for record in request_records(caplog)]
    assert statuses == [200, 404]


def test_an_id_that_could_forge_log_lines_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='abc\n{"level": "ERROR"}')

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_order_events_are_logged_once_committed_with_the_request_id(
    caplog, django_capture_on_commit_callbacks
):
    token = request_id_var.set("req-77")
    try:
        with (
            caplog.at_level(logging.INFO, logger="mallkit.orders"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            order, _ = place_order(payment_method="cod", start=False)
    finally:
        request_id_var.reset(token)

    records = [r for r in caplog.records if r.name == "mallkit.orders"]
    # Cash on delivery is confirmed as soon as it is placed: two events, two lines.
    assert [r.getMessage() for r in records] == [
        f"order {order.number} placed",
        f"order {order.number} confirmed",
    ]
    record = records[0]
    assert record.fields["event"] == "placed"
    assert record.fields["order"] == order.number
    assert record.fields["order_id"] == order.pk
    assert record.fields["request_id"] == "req-77"


def test_a_rolled_back_order_event_is_not_logged(caplog, django_capture_on_commit_callbacks):
    with (
        caplog.at_level(logging.INFO, logger="mallkit.orders"),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        place_order(payment_method="cod", start=False)

    # Queued for the commit, which never comes in this test's transaction.
    assert callbacks
    assert [r for r in caplog.records if r.name == "mallkit.orders"] == []


def make_record(**fields):
    record = logging.LogRecord("mallkit.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.fields = fields
    return record


def test_json_formatter_writes_one_object_per_line():
    line = JSONFormatter().format(
        make_record(method="GET", path="/", status=200, duration_ms=1.5, request_id="r1")
    )

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "mallkit.request"
    assert entry["message"] == "GET / 200"
    assert entry["method"] == "GET"
    assert entry["path"] == "/"
    assert entry["status"] == 200
    assert entry["duration_ms"] == 1.5
    assert entry["request_id"] == "r1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_text_formatter_appends_the_fields_as_pairs():
    line = TextFormatter().format(make_record(path="/search/?q=a b", status=200))

    assert line.endswith('INFO mallkit.request GET / 200 path="/search/?q=a b" status=200')


def test_log_format_json_switches_the_console_to_json():
    # A separate process: the logging configuration is made once, from the environment.
    env = environment(LOG_FORMAT="json", DATABASE_URL="sqlite:///:memory:")
    result = run_python(
        "import io, logging\n"
        "stream = io.StringIO()\n"
        "handler = logging.getLogger().handlers[0]\n"
        "handler.setStream(stream)\n"
        "logger = logging.getLogger('mallkit.request')\n"
        "logger.info('GET / 200', extra={'fields': {'status': 200}})\n"
        "print(json.dumps({'line': stream.getvalue()}))\n",
        env=env,
    )

    entry = json.loads(result["line"])
    assert entry["message"] == "GET / 200"
    assert entry["status"] == 200
