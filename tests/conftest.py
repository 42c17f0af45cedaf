"""Shared fixtures: factories, API clients, and the browser (Debian's chromium via Playwright)."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("MALLKIT_CHROMIUM", "/usr/bin/chromium")
# Argon2 costs about half a second of both cores per hash, on purpose. The suite hashes with MD5
# unless a test asks for the production hashers (the `production_password_hashers` fixture);
# processes started by tests (manage.py, gunicorn) keep the production settings.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Put the tests marked `xdist_group` in their group, as `--dist loadgroup` promises.

    pytest-xdist marks a group by appending "@group" to the test ids of each worker's items, but
    it writes the attribute pytest < 9.2 kept the id in; on pytest 9.2 the ids stay as they were
    and every test of a group goes to whichever worker is free (a second pair of gunicorn nodes,
    a second demo shop). Where xdist's suffix did not take, it is added here the same way
    (pytest-dev/pytest-xdist#1386; once xdist sets the id itself this changes nothing).
    """
    result = yield
    if getattr(config.option, "loadgroup", False):
        from _pytest.nodeid import NodeId

        for item in items:
            names = sorted({_group_name(mark) for mark in item.iter_markers("xdist_group")})
            if names and not item.nodeid.endswith("@" + "_".join(names)):
                item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")
    return result


def _group_name(mark) -> str:
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Yields the hashers the settings configure, while the tests hash with MD5."""
    from django.conf import settings
    from django.test import override_settings

    configured = list(settings.PASSWORD_HASHERS)
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield configured


@pytest.fixture
def production_password_hashers(settings, _fast_password_hashing):
    """The password hashers of the shop's settings (Argon2 first), for tests of the hashing."""
    settings.PASSWORD_HASHERS = list(_fast_password_hashing)
    return settings.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads of each test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. A test client's request leaves the language it
    was served in active in this thread (LocaleMiddleware does not switch back), so a test that
    reads text in the active language failed or passed by what ran before it on its worker."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def browser():
    """A headless Debian chromium; skipped (with the reason) only where none is installed.

    In CI (CI=true) a missing browser is a failure, never a skip.
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI; .ci/run installs Debian's chromium")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium to run browser tests)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
