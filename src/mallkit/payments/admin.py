from django.contrib import admin

from .models import Payment, PaymentTransaction, WebhookEvent
from .sandbox.models import SandboxCharge, SandboxRefund


class PaymentTransactionInline(admin.TabularInline):
    model = PaymentTransaction
    extra = 0
    can_delete = False
    readonly_fields = [
        "created_at",
        "kind",
        "success",
        "amount",
        "currency",
        "provider_reference",
        "message",
    ]
    fields = readonly_fields


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "order",
        "gateway",
        "status",
        "amount",
        "currency",
        "amount_refunded",
        "created_at",
    ]
    list_filter = ["gateway", "status"]
    search_fields = ["reference", "provider_reference", "order__number"]
    inlines = [PaymentTransactionInline]
    readonly_fields = [f.name for f in Payment._meta.fields]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "gateway", "event_id", "type", "outcome"]
    list_filter = ["gateway", "type"]
    search_fields = ["event_id"]
    readonly_fields = ["gateway", "event_id", "type", "payload", "outcome", "received_at"]


@admin.register(SandboxCharge)
class SandboxChargeAdmin(admin.ModelAdmin):
    """The sandbox provider's own records, read-only: what its 'dashboard' would show."""

    list_display = ["created_at", "charge_id", "reference", "status", "amount", "amount_refunded"]
    list_filter = ["status"]
    search_fields = ["charge_id", "reference"]
    readonly_fields = [f.name for f in SandboxCharge._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(SandboxRefund)
class SandboxRefundAdmin(admin.ModelAdmin):
    list_display = ["created_at", "refund_id", "charge", "amount"]
    search_fields = ["refund_id", "charge__charge_id", "charge__reference"]
    readonly_fields = [f.name for f in SandboxRefund._meta.fields]

    def has_add_permission(self, request):
        return False
