"""The Content-Security-Policy header, built once instead of on every answer.

django-csp rebuilds the policy text from the settings for each response, which profiling showed
to cost about a sixth of an answer served from the page cache. The shop's policy is the same
for every answer (no nonces, no per-view overrides), so this middleware keeps the text it built
and hands the rare answer that does carry an override or a nonce to django-csp unchanged.
"""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view's csp_update / csp_replace / csp_override decorators leave on a response.
OVERRIDES = tuple(
    f"_csp_{kind}{suffix}" for kind in ("config", "update", "replace") for suffix in ("", "_ro")
)
_built: dict[str, str] = {}


@receiver(setting_changed)
def _forget_policy(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _built.clear()


def policies() -> tuple[str, str]:
    """The enforced policy and the report-only one ("" when not configured), built once."""
    if not _built:
        _built["enforced"] = build_policy()
        _built["report_only"] = build_policy(report_only=True)
    return _built["enforced"], _built["report_only"]


class CSPMiddleware(LibraryCSPMiddleware):
    """django-csp's middleware with the common case, the settings' policy as it is, memoised."""

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in OVERRIDES
        ):
            return super().process_response(request, response)
        if response.status_code in {404, 500} and settings.DEBUG:
            return response
        enforced, report_only = policies()
        for header, policy, exempt, setting in (
            (HEADER, enforced, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                HEADER_REPORT_ONLY,
                report_only,
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        ):
            if policy and header not in response and not getattr(response, exempt, False):
                if not self._excluded(request, setting):
                    response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    @staticmethod
    def _excluded(request, setting: str) -> bool:
        prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
        return bool(prefixes) and request.path_info.startswith(tuple(prefixes))
