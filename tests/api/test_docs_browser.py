from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_docs_render_offline_in_a_browser(page, live_server):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if urlparse(request.url).netloc != urlparse(live_server.url).netloc
            else None
        ),
    )

    page.goto("/api/v1/docs")

    page.get_by_text("Mallkit API", exact=False).first.wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/products/{slug}").wait_for()
    assert page.locator(".opblock").count() >= 5
    assert outside == []
