from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class DocumentCounter(models.Model):
    """The last number given out in one sequence ("invoice", "credit_note")."""

    name = models.CharField(max_length=30, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")

    def __str__(self):
        return f"{self.name}: {self.last_number}"


class Invoice(models.Model):
    """The invoice of a paid order; its number is sequential without gaps."""

    PREFIX = "INV"

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="invoice")
    number = models.PositiveIntegerField(_("number"), unique=True)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), **MONEY)
    tax = models.DecimalField(_("tax"), **MONEY)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["number"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return f"{self.PREFIX}-{self.number:06d}"


class CreditNote(models.Model):
    """The document of one refund, numbered in its own gapless sequence."""

    PREFIX = "CN"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    # The timeline entry of the refund this note documents.
    event = models.OneToOneField(
        "orders.OrderEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credit_note",
    )
    number = models.PositiveIntegerField(_("number"), unique=True)
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="creditnote_amount_positive")
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return f"{self.PREFIX}-{self.number:06d}"
