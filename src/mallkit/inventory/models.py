from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class StockLevel(models.Model):
    """How many units of a variant the shop holds, and how many are promised to orders."""

    variant = models.OneToOneField(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.CASCADE, related_name="stock"
    )
    on_hand = models.PositiveIntegerField(_("on hand"), default=0)
    allocated = models.PositiveIntegerField(_("allocated"), default=0)
    low_stock_threshold = models.PositiveIntegerField(_("low-stock threshold"), default=5)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0) & Q(allocated__lte=F("on_hand")),
                name="stock_allocated_within_on_hand",
            ),
        ]

    def __str__(self):
        return f"{self.variant_id}: {self.available} available"

    @property
    def available(self):
        return max(self.on_hand - self.allocated, 0)

    @property
    def is_low(self):
        return self.available <= self.low_stock_threshold


class StockMovement(models.Model):
    """One line of the stock ledger: every change of on-hand or allocated stock has a reason."""

    class Reason(models.TextChoices):
        INITIAL = "initial", _("Initial stock")
        RECEIVED = "received", _("Received")
        DAMAGED = "damaged", _("Damaged")
        RETURNED = "returned", _("Returned")
        CORRECTION = "correction", _("Stock-take correction")
        ALLOCATED = "allocated", _("Allocated to an order")
        RELEASED = "released", _("Released from an order")
        SHIPPED = "shipped", _("Shipped")
        RESTOCKED = "restocked", _("Restocked after cancellation or refund")

    variant = models.ForeignKey(
        "catalog.Variant",
        verbose_name=_("variant"),
        on_delete=models.CASCADE,
        related_name="stock_movements",
    )
    on_hand_change = models.IntegerField(_("on-hand change"), default=0)
    allocated_change = models.IntegerField(_("allocated change"), default=0)
    on_hand_after = models.PositiveIntegerField(_("on hand after"))
    allocated_after = models.PositiveIntegerField(_("allocated after"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    reference = models.CharField(
        _("reference"), max_length=64, blank=True, help_text=_("An order number, for example.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["variant", "-created_at"])]

    def __str__(self):
        return f"{self.variant_id} {self.on_hand_change:+d} ({self.reason})"
