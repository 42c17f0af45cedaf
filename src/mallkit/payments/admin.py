from django.contrib import admin

from .models import Payment, PaymentTransaction, WebhookEvent


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
