"""The small interface every payment gateway implements (ARCHITECTURE.md rule 8)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from mallkit.core.errors import ValidationFailed


@dataclass(frozen=True)
class PaymentRequest:
    """What a gateway is told about a payment: plain values, no models."""

    reference: str
    order_number: str
    amount: Decimal
    currency: str
    email: str
    description: str
    return_url: str = ""
    cancel_url: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class GatewayResult:
    """What a gateway answers to start or refund.

    `status` is "redirect" (send the shopper to `redirect_url`), "instructions" (show
    `instructions`; money comes later, e.g. a bank transfer), "succeeded" or "failed".
    """

    status: str
    provider_reference: str = ""
    redirect_url: str = ""
    instructions: str = ""
    message: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayEvent:
    """A verified notification from a gateway."""

    event_id: str
    type: str  # "payment.succeeded" | "payment.failed" | "refund.succeeded" | other
    reference: str
    amount: Decimal | None
    currency: str
    provider_reference: str = ""
    raw: dict = field(default_factory=dict)
    #: Why a payment failed, in the provider's words.
    message: str = ""
    #: For refunds: the provider's id of this refund, when it tells.
    refund_reference: str = ""
    #: For refunds: the provider's running total refunded for the payment, when it tells. Totals
    #: let the shop reconcile refunds it started itself with refunds made elsewhere, in any order.
    amount_refunded: Decimal | None = None


class InvalidWebhook(ValidationFailed):
    """The webhook's signature, timestamp or body is not valid."""

    code = "invalid_webhook"


class GatewayError(Exception):
    """The gateway could not be reached or refused the call."""


class PaymentGateway(Protocol):
    code: str
    name: str
    #: Money is taken online: unpaid orders expire and release their stock.
    is_online: bool
    #: The order may be packed before it is paid (cash on delivery).
    confirms_order: bool
    #: Refunds can be sent through the gateway (otherwise staff record them as manual).
    supports_refunds: bool
    #: start() only computes its answer and calls nothing outside, so the shop may run it
    #: inside the order's transaction (optional; taken as False when missing).
    starts_locally: bool

    def start(self, *, payment: PaymentRequest) -> GatewayResult: ...

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> GatewayEvent: ...

    def refund(
        self, *, reference: str, amount: Decimal, currency: str = "", idempotency_key: str = ""
    ) -> GatewayResult:
        """Send money back; `reference` is the provider's id of the captured payment.

        `idempotency_key` is the same for retries of one refund, so a retry never refunds twice.
        """
        ...
