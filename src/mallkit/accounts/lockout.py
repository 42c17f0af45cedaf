"""django-axes hooks: which account a failed login was for."""


def username_from_credentials(request, credentials=None):
    """The e-mail address a login attempt names, from whichever form or endpoint sent it.

    allauth's login form authenticates with `email=`, the API token endpoint with `username=`,
    and the page posts the field `login`; lower-cased so "A@x" and "a@x" count as one account.
    """
    sources = [credentials or {}, getattr(request, "POST", None) or {}]
    for source in sources:
        for key in ("login", "email", "username"):
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return None
