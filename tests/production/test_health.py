"""GET /healthz: 200 with every part "ok", 503 naming what is down, never a secret."""

import logging

import pytest
from django.test import override_settings

from mallkit.core import health

pytestmark = pytest.mark.django_db

SECRET = "hunter2-do-not-show"


def test_everything_up_answers_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "storage": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_a_database_that_is_down_answers_503_without_its_secrets(client, monkeypatch, caplog):
    def refuse(alias="default"):
        raise ConnectionError(f"could not connect to db.internal with password {SECRET}")

    monkeypatch.setattr(health, "check_database", refuse)
    with caplog.at_level(logging.ERROR, logger="mallkit.core.health"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "down", "cache": "ok", "storage": "ok"}
    assert SECRET not in response.content.decode()
    # The reason is for the operator's log.
    assert SECRET in caplog.text


def test_a_cache_that_is_down_answers_503(client):
    # A real Redis client against a port nobody listens on: refused at once.
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:{SECRET}@127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # With the shared page cache on, which reads Redis before any view runs.
    with override_settings(CACHES=unreachable, MALLKIT_PAGE_CACHE_SECONDS=300):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "down", "storage": "ok"}
    assert SECRET not in response.content.decode()


def test_storage_that_is_down_answers_503(client, monkeypatch):
    def refuse():
        raise PermissionError(f"AccessDenied for key {SECRET}")

    monkeypatch.setattr(health, "check_storage", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "ok", "storage": "down"}
    assert SECRET not in response.content.decode()


def test_media_folder_that_is_a_file_is_down(client, settings, tmp_path):
    # The media "folder" exists but is a file: nothing can be uploaded into it.
    blocker = tmp_path / "media-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["storage"] == "down"


def test_health_is_not_redirected_to_https(client, settings):
    # A load balancer asks over plain HTTP on the private network.
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


def test_health_answers_a_balancer_asking_by_address(client, settings):
    settings.ALLOWED_HOSTS = ["shop.example.com"]

    assert client.get("/healthz", HTTP_HOST="10.0.0.11:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.11:8000").status_code == 400


def test_only_reads_are_allowed(client):
    assert client.post("/healthz").status_code == 405
