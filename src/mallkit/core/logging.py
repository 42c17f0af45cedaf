"""Structured logs: one line per request and per order event, JSON with LOG_FORMAT=json.

Each request gets an id: the X-Request-ID that the proxy in front sent (nginx's $request_id,
so its access log and ours can be joined), or a new one. It is answered in the X-Request-ID
header and added to every record logged while the request runs, order events included, so one
search finds everything a request did across app servers.

Fields travel as `extra={"fields": {...}}`; the formatters print them as JSON keys or as
key=value pairs after the message.
"""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.db import transaction

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
request_logger = logging.getLogger("mallkit.request")
order_logger = logging.getLogger("mallkit.orders")

# Ids from outside are only echoed if they look like ids: no spaces, quotes or control
# characters that could forge log lines or headers.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
# Attributes every LogRecord has; anything else on a record came from `extra`.
STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "fields"}


def current_request_id() -> str:
    """The id of the request being served in this thread or task ("" outside a request)."""
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record, for formatters and handlers to use."""

    def filter(self, record):
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id()
        return True


def record_fields(record: logging.LogRecord) -> dict:
    """The structured fields of a record: `extra={"fields": ...}` and other extras."""
    fields = {
        key: value
        for key, value in vars(record).items()
        if key not in STANDARD_ATTRIBUTES and not key.startswith("_")
    }
    fields.update(getattr(record, "fields", None) or {})
    if not fields.get("request_id"):
        fields.pop("request_id", None)
    return fields


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, fields, exception."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **record_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A readable line for a terminal, with the fields as key=value pairs after the message."""

    def __init__(self, fmt=None, datefmt=None, style="%", **kwargs):
        super().__init__(
            fmt or "%(asctime)s %(levelname)s %(name)s %(message)s", datefmt, style, **kwargs
        )

    def format(self, record):
        line = super().format(record)
        pairs = " ".join(
            f"{key}={_text_value(value)}" for key, value in record_fields(record).items()
        )
        if not pairs:
            return line
        # The exception's traceback, if any, stays below the first line.
        first, newline, rest = line.partition("\n")
        return f"{first} {pairs}{newline}{rest}"


def _text_value(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if not text or any(character in text for character in ' "=\n'):
        return json.dumps(text, ensure_ascii=False)
    return text


def incoming_request_id(candidate: str) -> str:
    """The proxy's X-Request-ID (`candidate`) if it is a sensible id, else a new random one."""
    if REQUEST_ID_PATTERN.match(candidate):
        return candidate
    return uuid.uuid4().hex


def log_request(*, method: str, path: str, status: int, started: float, request_id: str, **more):
    """The one line logged per request (`started`: its time.perf_counter() at arrival)."""
    if not request_logger.isEnabledFor(logging.INFO):
        return
    duration = (time.perf_counter() - started) * 1000
    request_logger.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "fields": {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(duration, 1),
                "request_id": request_id,
                **more,
            }
        },
    )


class RequestLogMiddleware:
    """Give each request an id and log one line when its answer is ready.

    First in MIDDLEWARE, so the time and status it logs are those of the whole stack, error
    pages and rate-limit answers included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_request_id(request.headers.get("X-Request-ID", ""))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            log_request(
                method=request.method,
                path=request.path,
                status=response.status_code,
                started=started,
                request_id=request_id,
            )
            return response
        finally:
            request_id_var.reset(token)


def log_order_event(event) -> None:
    """Log an order event once the transaction that wrote it commits (never a rolled-back one)."""
    fields = {
        "event": event.type,
        "order": event.order.number,
        "order_id": event.order_id,
        "actor_id": event.actor_id,
        "request_id": current_request_id(),
    }
    message = f"order {event.order.number} {event.type}"
    transaction.on_commit(lambda: order_logger.info(message, extra={"fields": fields}), robust=True)
