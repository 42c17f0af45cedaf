"""Payment gateways are plug-ins: classes named by dotted path in MALLKIT_PAYMENT_GATEWAYS.

A gateway never touches the ORM: payments.services hands it plain values and stores what it
answers. See base.py for the interface.
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from mallkit.core.errors import NotFound

from .base import PaymentGateway


@cache
def _load(paths: tuple[str, ...]) -> dict[str, PaymentGateway]:
    gateways = {}
    for path in paths:
        gateway = import_string(path)()
        gateways[gateway.code] = gateway
    return gateways


def enabled() -> dict[str, PaymentGateway]:
    """The configured gateways by code, in the configured order."""
    return _load(tuple(settings.MALLKIT_PAYMENT_GATEWAYS))


def get(code: str) -> PaymentGateway:
    try:
        return enabled()[code]
    except (KeyError, TypeError):
        raise NotFound(
            f"There is no payment method “{code}”.", code="unknown_payment_method"
        ) from None
