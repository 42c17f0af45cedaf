from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class Order(models.Model):
    """A shopper's purchase: a snapshot of what was bought, at what price, sent where.

    Status, payment status and fulfilment status are separate; status moves only through
    orders.transitions, and every change writes an OrderEvent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        CONFIRMED = "confirmed", _("Confirmed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")

    class FulfilmentStatus(models.TextChoices):
        UNFULFILLED = "unfulfilled", _("Not shipped")
        PACKED = "packed", _("Packed")
        PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")

    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    payment_status = models.CharField(
        _("payment status"),
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.UNPAID,
    )
    fulfilment_status = models.CharField(
        _("fulfilment status"),
        max_length=20,
        choices=FulfilmentStatus.choices,
        default=FulfilmentStatus.UNFULFILLED,
    )
    is_flagged = models.BooleanField(_("flagged for staff"), default=False)
    flag_reason = models.CharField(_("why flagged"), max_length=255, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    prices_include_tax = models.BooleanField(_("prices include tax"), default=False)
    subtotal = models.DecimalField(_("goods"), **MONEY)
    discount = models.DecimalField(_("discount"), default=0, **MONEY)
    shipping = models.DecimalField(_("shipping"), default=0, **MONEY)
    tax = models.DecimalField(_("tax"), default=0, **MONEY)
    total = models.DecimalField(_("total"), **MONEY)
    amount_paid = models.DecimalField(_("paid"), default=0, **MONEY)
    amount_refunded = models.DecimalField(_("refunded"), default=0, **MONEY)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    shipping_method_code = models.CharField(_("shipping method"), max_length=40, blank=True)
    shipping_method_name = models.CharField(_("shipping method name"), max_length=100, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=40)
    voucher_code = models.CharField(_("voucher"), max_length=40, blank=True)
    customer_note = models.TextField(_("note from the customer"), blank=True, max_length=1000)
    language = models.CharField(_("language"), max_length=10, default="en")
    idempotency_key = models.CharField(
        max_length=128, unique=True, null=True, blank=True, editable=False
    )
    expires_at = models.DateTimeField(
        _("unpaid order expires"),
        null=True,
        blank=True,
        help_text=_("When an unpaid online order gives its stock back."),
    )
    created_at = models.DateTimeField(_("placed"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("fulfil_order", _("Can pack and ship orders")),
            ("confirm_payment", _("Can confirm payments received")),
            ("refund_order", _("Can refund orders")),
            ("cancel_order", _("Can cancel orders")),
            ("note_order", _("Can add staff notes to orders")),
        ]
        indexes = [
            models.Index(fields=["status", "payment_status"], name="order_status_payment"),
            models.Index(fields=["status", "fulfilment_status"], name="order_status_fulfil"),
            models.Index(fields=["customer", "-created_at"], name="order_customer_recent"),
            models.Index(fields=["status", "expires_at"], name="order_status_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount_paid")),
                name="order_refund_within_paid",
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("storefront:order_detail", kwargs={"number": self.number})

    @property
    def amount_refundable(self):
        """What was paid and not refunded yet."""
        return self.amount_paid - self.amount_refunded


class OrderLine(models.Model):
    """A line of an order: a copy of the variant as it was sold."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_name = models.CharField(_("product"), max_length=200)
    variant_label = models.CharField(_("variant"), max_length=200, blank=True)
    sku = models.CharField(_("SKU"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    quantity_returned = models.PositiveIntegerField(_("returned to stock"), default=0)
    # Units that will not be shipped any more (their allocation went back to stock): a refund
    # with restock before shipping, or a cancelled order.
    quantity_cancelled = models.PositiveIntegerField(_("cancelled"), default=0)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=0)
    discount = models.DecimalField(_("discount"), default=0, **MONEY)
    tax = models.DecimalField(_("tax"), default=0, **MONEY)
    total = models.DecimalField(_("line total"), **MONEY)
    image_url = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_min_1"),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=F("quantity")),
                name="orderline_shipped_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=F("quantity") - F("quantity_cancelled")),
                name="orderline_shipped_or_cancelled_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_returned__lte=F("quantity_shipped")),
                name="orderline_returned_within_shipped",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"

    @property
    def quantity_to_ship(self) -> int:
        """Units still to leave the warehouse."""
        return self.quantity - self.quantity_shipped - self.quantity_cancelled


class OrderEvent(models.Model):
    """One entry of an order's timeline: who did what, when."""

    class Type(models.TextChoices):
        PLACED = "placed", _("Order placed")
        PAYMENT_STARTED = "payment_started", _("Payment started")
        PAID = "paid", _("Payment received")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        PAYMENT_MISMATCH = "payment_mismatch", _("Payment did not match the order")
        CONFIRMED = "confirmed", _("Order confirmed")
        PACKED = "packed", _("Packed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired unpaid")
        REFUNDED = "refunded", _("Refunded")
        REFUND_REQUESTED = "refund_requested", _("Refund requested")
        EMAIL_SENT = "email_sent", _("E-mail sent")
        NOTE = "note", _("Note")
        STATUS_CHANGED = "status_changed", _("Status changed")
        FLAGGED = "flagged", _("Flagged for staff")
        FLAG_CLEARED = "flag_cleared", _("Flag cleared")
        RESTOCKED = "restocked", _("Returned to stock")
        INVOICED = "invoiced", _("Invoice issued")
        CREDIT_NOTE = "credit_note", _("Credit note issued")
        EMAIL_REQUESTED = "email_requested", _("E-mail requested")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("event"), max_length=30, choices=Type.choices)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visible_to_customer = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"{self.order_id} {self.type}"


class Fulfilment(models.Model):
    """One parcel that left the warehouse: which units, with which carrier and tracking number."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    carrier = models.CharField(_("carrier"), max_length=60)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(_("tracking link"), max_length=500, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shipped by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shipped_at = models.DateTimeField(_("shipped"), auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["shipped_at", "id"]

    def __str__(self):
        return f"{self.order_id} {self.carrier} {self.tracking_number}"


class FulfilmentLine(models.Model):
    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("shipped line")
        verbose_name_plural = _("shipped lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="fulfilmentline_quantity_min_1"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.order_line_id}"


class RefundRequest(models.Model):
    """A customer's wish for money back, waiting in the "refund requested" queue."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        REFUNDED = "refunded", _("Refunded")
        DECLINED = "declined", _("Declined")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refund_requests")
    amount = models.DecimalField(
        _("amount"), null=True, blank=True, help_text=_("Empty for everything paid."), **MONEY
    )
    reason = models.TextField(_("reason"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "order"], name="refundrequest_status_order")]
        constraints = [
            # request_refund checks under the order's row lock; this holds for every writer.
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="open"),
                name="refundrequest_one_open_per_order",
            )
        ]

    def __str__(self):
        return f"{self.order_id} {self.status}"


class CustomerNote(models.Model):
    """Customer service's note about a buyer, shown on their customer page.

    It lives with the orders rather than the accounts because it records what happened around
    purchases (a complaint, a promised discount); notes about one order are timeline events.
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer note")
        verbose_name_plural = _("customer notes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.customer_id}: {self.text[:40]}"


# Invoices and credit notes are numbered documents of their own (see invoicing/).
from .invoicing.models import CreditNote, DocumentCounter, Invoice  # noqa: E402, F401
