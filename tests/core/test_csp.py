"""The CSP header is built once from the settings, and views that change it still can."""

import pytest
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from mallkit.core.csp import CSPMiddleware


def answer(request, response=None):
    middleware = CSPMiddleware(lambda request: response or HttpResponse("ok"))
    return middleware(request)


def test_the_policy_is_the_one_django_csp_builds_from_the_settings():
    response = answer(RequestFactory().get("/"))

    assert response["Content-Security-Policy"] == build_policy()
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_changed_setting_changes_the_header(settings):
    answer(RequestFactory().get("/"))
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    assert answer(RequestFactory().get("/"))["Content-Security-Policy"] == "default-src 'none'"

    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    response = answer(RequestFactory().get("/"))
    assert "img-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_a_view_that_updates_the_policy_gets_django_csps_answer():
    response = HttpResponse("ok")
    response._csp_update = {"img-src": ["https://images.example"]}
    expected = LibraryCSPMiddleware(lambda request: response)(RequestFactory().get("/"))[
        "Content-Security-Policy"
    ]
    del response["Content-Security-Policy"]

    updated = answer(RequestFactory().get("/"), response)["Content-Security-Policy"]

    assert updated == expected and "https://images.example" in updated


def test_an_answer_whose_view_used_a_nonce_gets_django_csps_answer(settings):
    def view(request):
        request.nonce_seen = str(request.csp_nonce)
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    ours = CSPMiddleware(view)(request)["Content-Security-Policy"]
    expected = build_policy(nonce=request.nonce_seen)

    assert ours == expected


def test_exempt_answers_and_excluded_paths_get_no_header(settings):
    exempt = HttpResponse("ok")
    exempt._csp_exempt = True
    assert "Content-Security-Policy" not in answer(RequestFactory().get("/"), exempt)

    settings.CONTENT_SECURITY_POLICY = {
        "EXCLUDE_URL_PREFIXES": ["/external/"],
        "DIRECTIVES": {"default-src": ["'self'"]},
    }
    assert "Content-Security-Policy" not in answer(RequestFactory().get("/external/page"))
    assert "Content-Security-Policy" in answer(RequestFactory().get("/internal/page"))


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    request = RequestFactory().get("/")
    answer(request)

    with pytest.raises(Exception, match="not available after the CSP header"):
        str(request.csp_nonce)
