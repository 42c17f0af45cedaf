"""The checkout's state, kept in the shopper's session: never in the page, where it could be
edited, and never in the database, where an abandoned checkout would linger.

The state holds the e-mail address, the address snapshot (and the address book entry it came
from), the delivery and payment method codes, the voucher code, and the one-time tokens issued
with review pages. Placed tokens are remembered apart, so a form sent again after the order was
placed finds that order's page.
"""

import secrets

STATE_KEY = "mallkit_checkout"
PLACED_KEY = "mallkit_checkout_placed"
# Review pages open in other tabs stay usable; older tokens are forgotten.
TOKENS_KEPT = 5
PLACED_KEPT = 10
# What each step stores, in the order of the steps (the review stores nothing).
STEPS = [
    ("address", "checkout:start"),
    ("shipping_method", "checkout:shipping"),
    ("payment_method", "checkout:payment"),
]


def load_state(session) -> dict:
    return dict(session.get(STATE_KEY) or {})


def save_state(session, state: dict) -> None:
    session[STATE_KEY] = state


def forget_state(session) -> None:
    session.pop(STATE_KEY, None)


def missing_step(state: dict, *, before: str) -> str | None:
    """The URL name of the first step before `before` that the shopper has not completed."""
    for key, url_name in STEPS:
        if url_name == before:
            return None
        if not state.get(key):
            return url_name
    return None


def issue_token(session, state: dict) -> str:
    """A new one-time token for a review page, remembered with the state."""
    token = secrets.token_urlsafe(24)
    state["tokens"] = [*state.get("tokens", []), token][-TOKENS_KEPT:]
    save_state(session, state)
    return token


def placed_url(session, token: str) -> str | None:
    """The confirmation page of the order placed with this token in this session, if any."""
    return (session.get(PLACED_KEY) or {}).get(token)


def remember_placed(session, token: str, url: str) -> None:
    placed = dict(session.get(PLACED_KEY) or {})
    placed[token] = url
    session[PLACED_KEY] = dict(list(placed.items())[-PLACED_KEPT:])
