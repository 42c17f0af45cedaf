"""Gateways where no provider is involved: the money comes by hand or by bank."""

from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import GatewayEvent, GatewayResult, InvalidWebhook, PaymentRequest


class OfflineGateway:
    is_online = False
    supports_refunds = False
    confirms_order = False

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        raise InvalidWebhook(f"The {self.code} payment method does not take webhooks.")

    def refund(self, *, reference: str, amount: Decimal) -> GatewayResult:
        return GatewayResult(status="failed", message="Refunds are made by hand.")


class CashOnDelivery(OfflineGateway):
    code = "cod"
    name = gettext_lazy("Cash on delivery")
    confirms_order = True

    def start(self, *, payment: PaymentRequest) -> GatewayResult:
        return GatewayResult(
            status="instructions",
            instructions=_("Please have %(amount)s %(currency)s ready when your parcel arrives.")
            % {"amount": payment.amount, "currency": payment.currency},
        )


class BankTransfer(OfflineGateway):
    code = "bank_transfer"
    name = gettext_lazy("Bank transfer")

    def start(self, *, payment: PaymentRequest) -> GatewayResult:
        return GatewayResult(
            status="instructions",
            instructions=_(
                "Please transfer %(amount)s %(currency)s to %(bank)s and quote %(reference)s "
                "as the payment reference. We ship once the money has arrived."
            )
            % {
                "amount": payment.amount,
                "currency": payment.currency,
                "bank": settings.MALLKIT_BANK_DETAILS,
                "reference": payment.order_number,
            },
        )
