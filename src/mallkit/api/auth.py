"""Token endpoints: exchange an e-mail address and password for a bearer token, revoke it."""

from ninja import Field, Router, Schema, Status

from mallkit.accounts.services import InvalidCredentials, issue_token, revoke_token
from mallkit.core.errors import DomainError

from .common import InputStr, error_responses, token_auth

router = Router(tags=["authentication"])


class TooManyAttempts(DomainError):
    """Too many failed login attempts; try again later."""

    code = "too_many_attempts"
    status = 429


class TokenIn(Schema):
    email: InputStr = Field(max_length=254)
    password: str = Field(max_length=4096)
    name: InputStr = Field(
        "", max_length=100, description="A label to recognise the token by, such as an app name."
    )


class TokenOut(Schema):
    token: str = Field(description="Send it as “Authorization: Bearer <token>”; shown only once.")


@router.post(
    "/token",
    auth=None,
    response={201: TokenOut, **error_responses(401, 422, 429)},
    summary="Create a token",
    description="Failed attempts are counted; too many lock the account out for a while (429).",
)
def create_token(request, payload: TokenIn):
    try:
        _, secret = issue_token(
            email=payload.email, password=payload.password, request=request, name=payload.name
        )
    except InvalidCredentials:
        if getattr(request, "axes_locked_out", False):
            # django-axes flags the request for its middleware, which would swap this answer
            # for its HTML lock-out page; the API answers in JSON instead.
            request.axes_locked_out = False
            raise TooManyAttempts() from None
        raise
    return Status(201, {"token": secret})


@router.delete(
    "/token",
    auth=token_auth,
    response={204: None, **error_responses(401)},
    summary="Revoke the token of this request",
)
def delete_token(request):
    revoke_token(token=request.api_token)
    return Status(204, None)
