"""Gateways where no provider is involved: the money comes by hand or by bank."""

from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import GatewayEvent, GatewayResult, InvalidWebhook, PaymentRequest


class OfflineGateway:
    """The shopper is told what to do; staff record the money when it arrives.

    Subclasses say what to do in `instructions()`, kept apart from `start()` so e-mails can say
    it again in the order's language, whatever language the checkout ran in.
    """

    is_online = False
    supports_refunds = False
    confirms_order = False
    # Instructions are text made from the payment request: nothing to wait for.
    starts_locally = True

    def start(self, *, payment: PaymentRequest) -> GatewayResult:
        return GatewayResult(status="instructions", instructions=self.instructions(payment=payment))

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        raise InvalidWebhook(f"The {self.code} payment method does not take webhooks.")

    def refund(
        self, *, reference: str, amount: Decimal, currency: str = "", idempotency_key: str = ""
    ) -> GatewayResult:
        return GatewayResult(status="failed", message="Refunds are made by hand.")


class CashOnDelivery(OfflineGateway):
    code = "cod"
    name = gettext_lazy("Cash on delivery")
    confirms_order = True

    def instructions(self, *, payment: PaymentRequest) -> str:
        return _("Please have %(amount)s %(currency)s ready when your parcel arrives.") % {
            "amount": payment.amount,
            "currency": payment.currency,
        }


class BankTransfer(OfflineGateway):
    code = "bank_transfer"
    name = gettext_lazy("Bank transfer")

    def instructions(self, *, payment: PaymentRequest) -> str:
        return _(
            "Please transfer %(amount)s %(currency)s to %(bank)s and quote %(reference)s "
            "as the payment reference. We ship once the money has arrived."
        ) % {
            "amount": payment.amount,
            "currency": payment.currency,
            "bank": settings.MALLKIT_BANK_DETAILS,
            "reference": payment.order_number,
        }
