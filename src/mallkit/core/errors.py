"""Domain errors: every failure of a service raises one, with a stable `code`.

Front doors map codes to answers: the API to an HTTP status and a JSON body, pages to a message.
"""


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str = "", *, code: str | None = None, errors=None, extra=None):
        super().__init__(message)
        self.message = message or self.__class__.__doc__ or "The request could not be completed."
        if code:
            self.code = code
        self.errors = errors or {}
        self.extra = extra or {}


class NotFound(DomainError):
    """The object does not exist."""

    code = "not_found"
    status = 404


class ValidationFailed(DomainError):
    """The input is not valid."""

    code = "invalid"
    status = 400


class Conflict(DomainError):
    """The request conflicts with the current state."""

    code = "conflict"
    status = 409


class PermissionDenied(DomainError):
    """You do not have permission to do that."""

    code = "permission_denied"
    status = 403
