"""Every failure answers {"detail", "code", "errors"}; none shows a traceback."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from mallkit.catalog import selectors
from mallkit.catalog.models import Category
from mallkit.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db


def failing(exc):
    def raise_it(*args, **kwargs):
        raise exc

    return raise_it


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (
            Conflict("The basket changed."),
            409,
            {"detail": "The basket changed.", "code": "conflict", "errors": {}},
        ),
        (
            ValidationFailed("Check the form", errors={"name": ["Enter a name."]}),
            400,
            {"detail": "Check the form.", "code": "invalid", "errors": {"name": ["Enter a name."]}},
        ),
        (
            Http404("secret internals"),
            404,
            {"detail": "The requested item does not exist.", "code": "not_found", "errors": {}},
        ),
        (
            Category.DoesNotExist("secret internals"),
            404,
            {"detail": "The requested item does not exist.", "code": "not_found", "errors": {}},
        ),
        (
            PermissionDenied("secret internals"),
            403,
            {
                "detail": "You do not have permission to do that.",
                "code": "permission_denied",
                "errors": {},
            },
        ),
        (
            RuntimeError("secret internals"),
            500,
            {
                "detail": "Something went wrong on our side; please try again later.",
                "code": "server_error",
                "errors": {},
            },
        ),
    ],
)
def test_exceptions_become_json_answers(client, monkeypatch, exc, status, body):
    monkeypatch.setattr(selectors, "active_categories", failing(exc))

    response = client.get("/api/v1/categories")

    assert response.status_code == status
    assert response.json() == body
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_unexpected_errors_are_logged_with_the_request(client, monkeypatch, caplog):
    monkeypatch.setattr(selectors, "active_categories", failing(RuntimeError("boom")))

    client.get("/api/v1/categories")

    record = next(r for r in caplog.records if r.name == "django.request" and r.exc_info)
    assert record.getMessage() == "Unexpected error in the API: GET /api/v1/categories"
    assert record.exc_info[1].args == ("boom",)


def test_wrong_method_answers_json_405(client):
    response = client.put("/api/v1/products", "{}", content_type="application/json")

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/nothing"),
        ("get", "/api/v1/products/brass/extra"),
        ("post", "/api/v1/no-such-collection"),
        ("delete", "/api/v1/docs/assets/../urls.py"),
        ("get", "/api/v1/docs/assets/..%2F__init__.py"),
    ],
)
def test_unknown_api_paths_answer_json_404(client, method, path):
    response = getattr(client, method)(path)

    assert response.status_code == 404
    assert response.json() == {
        "detail": "The requested item does not exist.",
        "code": "not_found",
        "errors": {},
    }


def test_too_many_parameters_answer_json_400(client):
    response = client.get("/api/v1/products?" + "&".join(f"q{n}=x" for n in range(1001)))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request could not be read: it is malformed or too large.",
        "code": "bad_request",
        "errors": {},
    }


def test_a_body_too_large_answers_json_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/api/v1/auth/token", "x" * 1001, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
