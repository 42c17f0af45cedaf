from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class Payment(models.Model):
    """One attempt to collect an order's money through one gateway."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(_("gateway"), max_length=40)
    reference = models.CharField(_("reference"), max_length=100, unique=True)
    provider_reference = models.CharField(
        _("provider reference"), max_length=255, blank=True, db_index=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    amount_refunded = models.DecimalField(_("refunded"), default=0, **MONEY)
    # Whether this payment's money was counted in the order's amount paid. A payment that
    # arrived for an expired or already paid order was not, so refunding it leaves the order's
    # totals alone.
    applied_to_order = models.BooleanField(_("counted in the order"), default=False)
    redirect_url = models.URLField(_("payment page"), max_length=1000, blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    #: Not stored: True on an instance whose start this process has just recorded (a local
    #: start inside the order's transaction), so starting it again needs no query.
    started = False

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount")), name="payment_refund_within_amount"
            ),
        ]

    def __str__(self):
        return self.reference


class PaymentTransaction(models.Model):
    """An append-only record of every exchange with a gateway."""

    class Kind(models.TextChoices):
        START = "start", _("Started")
        CAPTURE = "capture", _("Captured")
        FAILURE = "failure", _("Failed")
        REFUND = "refund", _("Refund")
        MANUAL = "manual", _("Recorded by staff")
        MISMATCH = "mismatch", _("Mismatch")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    success = models.BooleanField(_("success"), default=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment transaction")
        verbose_name_plural = _("payment transactions")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.payment_id} {self.kind} {self.amount}"


class WebhookEvent(models.Model):
    """A gateway's notification, stored once by the provider's event id."""

    gateway = models.CharField(max_length=40)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    outcome = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once")
        ]

    def __str__(self):
        return f"{self.gateway}:{self.event_id}"


# The sandbox provider's records belong to this app (see payments/sandbox/__init__.py).
from .sandbox.models import SandboxCharge, SandboxRefund  # noqa: E402, F401
