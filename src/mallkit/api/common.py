"""What every API router shares: error answers, authentication, pagination and input types.

A router module declares `router = Router(tags=[...])`, uses the schemas and helpers below, and is
mounted in `api/urls.py`. Handlers only parse, call one selector or service and return.
"""

import logging
from typing import Annotated

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import AfterValidator, ValidationInfo, field_validator

from mallkit.accounts.services import user_for_token
from mallkit.core.errors import DomainError, PermissionDenied

logger = logging.getLogger("django.request")

DEFAULT_PAGE_SIZE = 24


# Errors ------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    """Every failure answers with this body and a 4xx status (500 only for our own bugs)."""

    detail: str = Field(description="A sentence for people.")
    code: str = Field(description="A stable code for programs, such as `not_found`.")
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages for each invalid field, by field name."
    )


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Document error answers of an operation: `response={200: Out, **error_responses(404)}`."""
    return dict.fromkeys(statuses, ErrorOut)


class CsrfFailed(PermissionDenied):
    """The CSRF token is missing or wrong; reload the page and try again."""

    code = "csrf_failed"


NOT_FOUND = {"detail": "The requested item does not exist.", "code": "not_found", "errors": {}}
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "too_many_requests",
}
# Ninja's own messages, said as sentences for the people reading them.
HTTP_ERROR_SENTENCES = {
    "Cannot parse request body": "The request body is not valid JSON.",
    "Too many requests.": "Too many requests; wait a moment and try again.",
}
LOCATIONS = {"path", "query", "header", "cookie", "body", "form", "file"}


def sentence(text: str) -> str:
    """Start with a capital letter and end with a full stop."""
    text = text.strip() or "The value is not valid"
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def field_errors(errors: list[dict]) -> dict[str, list[str]]:
    """Turn pydantic's error list into {"field": ["Readable message."]}."""
    result: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in LOCATIONS:
            source = loc.pop(0)
            # A body is validated under the handler's argument name; clients never see it.
            if source in {"body", "form"} and len(loc) > 1:
                loc.pop(0)
        name = ".".join(loc) or "__all__"
        if error.get("type") == "missing":
            message = "This field is required."
        else:
            message = sentence(str(error.get("msg", "")).removeprefix("Value error, "))
        result.setdefault(name, [])
        if message not in result[name]:
            result[name].append(message)
    return result


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every failure of `api` answer {"detail", "code", "errors"}; never a traceback."""

    def answer(request, *, status: int, detail: str, code: str, errors=None):
        body = {"detail": detail, "code": code, "errors": errors or {}}
        return api.create_response(request, body, status=status)

    def on_validation_error(request, exc: ValidationError):
        errors = field_errors(exc.errors)
        fields = ", ".join(name for name in errors if name != "__all__")
        detail = f"Some values are not valid: {fields}." if fields else "The input is not valid."
        return answer(request, status=422, detail=detail, code="invalid", errors=errors)

    def on_domain_error(request, exc: DomainError):
        return answer(
            request,
            status=exc.status,
            detail=sentence(exc.message),
            code=exc.code,
            errors=exc.errors,
        )

    def on_not_found(request, exc: Exception):
        return api.create_response(request, NOT_FOUND, status=404)

    def on_authentication_error(request, exc: AuthenticationError):
        response = answer(
            request,
            status=401,
            detail="Authentication is required: send a valid token as “Authorization: Bearer …”.",
            code="not_authenticated",
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def on_permission_denied(request, exc: Exception):
        return answer(
            request,
            status=403,
            detail="You do not have permission to do that.",
            code="permission_denied",
        )

    def on_http_error(request, exc: HttpError):
        message = HTTP_ERROR_SENTENCES.get(exc.message, exc.message)
        response = answer(
            request,
            status=exc.status_code,
            detail=sentence(message),
            code=HTTP_ERROR_CODES.get(exc.status_code, "error"),
        )
        wait = getattr(exc, "wait", None)
        if wait:
            response["Retry-After"] = str(int(wait))
        return response

    def on_suspicious_operation(request, exc: SuspiciousOperation):
        # Django's own answer to these (too many fields, a body too large…), in JSON.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(
            str(exc), extra={"status_code": 400, "request": request}
        )
        return answer(
            request,
            status=400,
            detail="The request could not be read: it is malformed or too large.",
            code="bad_request",
        )

    def on_unexpected_error(request, exc: Exception):
        logger.error(
            "Unexpected error in the API: %s %s",
            request.method,
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        return answer(
            request,
            status=500,
            detail="Something went wrong on our side; please try again later.",
            code="server_error",
        )

    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, on_not_found)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(AuthorizationError, on_permission_denied)
    api.add_exception_handler(DjangoPermissionDenied, on_permission_denied)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(SuspiciousOperation, on_suspicious_operation)
    api.add_exception_handler(Exception, on_unexpected_error)


class MallkitAPI(NinjaAPI):
    """A NinjaAPI answering every failure as {"detail", "code", "errors"}, unknown paths too."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        install_error_handlers(self)

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls

        # Exempt, or Django's CSRF middleware would answer a POST here with its HTML page.
        @csrf_exempt
        def unknown_path(request, rest):
            return self.on_exception(request, Http404())

        # Last, so it only answers paths that no router has.
        return [*patterns, path("<path:rest>", unknown_path)], app_name, namespace


# Authentication ----------------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `POST /auth/token`.

    Sets `request.auth` and `request.user` to the token's user and `request.api_token` to the
    token, so `DELETE /auth/token` knows which one to revoke.
    """

    def authenticate(self, request, token):
        found = user_for_token(secret=token.strip())
        if found is None:
            return None
        request.user, request.api_token = found
        return request.user


class SessionAuth(APIKeyCookie):
    """The Django session of the site's own pages; unsafe methods also need the CSRF token.

    Anonymous requests pass on to the next authentication (and finally get a 401), so a
    missing CSRF token is only reported to someone who is actually logged in.
    """

    def __init__(self, csrf: bool = True):
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=csrf)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise CsrfFailed()
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


token_auth = TokenAuth()
session_auth = SessionAuth()
# For endpoints of a signed-in shopper: a bearer token, or the session of the site's own pages.
user_auth = [token_auth, session_auth]


# Pagination and input types ----------------------------------------------------------------------


def _refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    return value


# Use for every free-text input that may reach the database (PostgreSQL refuses NUL characters).
InputStr = Annotated[str, AfterValidator(_refuse_nul)]


def _document_max_page_size(schema: dict) -> None:
    schema["maximum"] = settings.MALLKIT_API_MAX_PAGE_SIZE


class PageParams(Schema):
    """`page` and `page_size` query parameters; inherit to add a list's filters."""

    page: int = Field(1, ge=1, description="The page to return, starting at 1.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        description="How many items a page holds.",
        json_schema_extra=_document_max_page_size,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _empty_means_not_given(cls, value, info: ValidationInfo):
        # HTML forms and hand-written URLs send "?sort=&page=" for "no choice".
        if isinstance(value, list):
            return [item for item in value if item != ""]
        if value == "":
            return cls.model_fields[info.field_name].get_default(call_default_factory=True)
        return value

    @field_validator("page_size")
    @classmethod
    def _at_most_the_maximum(cls, value: int) -> int:
        maximum = settings.MALLKIT_API_MAX_PAGE_SIZE
        if value > maximum:
            raise ValueError(f"A page holds at most {maximum} items.")
        return value


def paginate(queryset, *, page: int, page_size: int) -> dict:
    """Return one page of a queryset as {"items": [...], "count": N}.

    Two queries plus the queryset's prefetches; a page past the end is empty without a query.
    """
    count = queryset.count()
    offset = (page - 1) * page_size
    items = list(queryset[offset : offset + page_size]) if offset < count else []
    return {"items": items, "count": count}
