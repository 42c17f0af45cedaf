"""The sandbox provider's own records: what it charged and refunded, never the shop's tables."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class SandboxCharge(models.Model):
    """A card payment the sandbox provider took (or tried to) for one shop payment reference."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for card details")
        REQUIRES_CONFIRMATION = "requires_confirmation", _("Waiting for confirmation")
        SUCCEEDED = "succeeded", _("Paid")
        DECLINED = "declined", _("Declined")

    reference = models.CharField(_("shop reference"), max_length=100, unique=True)
    charge_id = models.CharField(_("charge id"), max_length=40, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    description = models.CharField(_("description"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.PENDING
    )
    card_last4 = models.CharField(_("card ending"), max_length=4, blank=True)
    amount_refunded = models.DecimalField(_("refunded"), default=0, **MONEY)
    return_url = models.CharField(_("return address"), max_length=1000, blank=True)
    cancel_url = models.CharField(_("cancel address"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount")),
                name="sandbox_refund_within_amount",
            ),
        ]

    def __str__(self):
        return self.charge_id


class SandboxRefund(models.Model):
    """Money the sandbox provider gave back on a charge."""

    charge = models.ForeignKey(SandboxCharge, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(_("refund id"), max_length=40, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox refund")
        verbose_name_plural = _("sandbox refunds")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.refund_id

    @property
    def currency(self):
        return self.charge.currency

    @property
    def charge_id(self):
        return self.charge.charge_id
