from django.contrib import admin

from .models import CreditNote, Fulfilment, FulfilmentLine, Invoice, Order, OrderEvent, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "product_name",
        "variant_label",
        "sku",
        "quantity",
        "quantity_shipped",
        "quantity_cancelled",
        "quantity_returned",
        "unit_price",
        "tax",
        "total",
    ]
    fields = readonly_fields


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "type", "message", "actor"]
    fields = readonly_fields


class FulfilmentInline(admin.TabularInline):
    model = Fulfilment
    extra = 0
    can_delete = False
    readonly_fields = ["shipped_at", "carrier", "tracking_number", "tracking_url", "shipped_by"]
    fields = readonly_fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "email",
        "status",
        "payment_status",
        "fulfilment_status",
        "total",
        "created_at",
    ]
    list_filter = ["status", "payment_status", "fulfilment_status", "payment_method"]
    search_fields = ["number", "email"]
    inlines = [OrderLineInline, FulfilmentInline, OrderEventInline]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Documents and shipments are written by the order services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FulfilmentLineInline(admin.TabularInline):
    model = FulfilmentLine
    extra = 0
    readonly_fields = ["order_line", "quantity"]


@admin.register(Fulfilment)
class FulfilmentAdmin(ReadOnlyAdmin):
    list_display = ["order", "carrier", "tracking_number", "shipped_at", "shipped_by"]
    search_fields = ["order__number", "tracking_number"]
    inlines = [FulfilmentLineInline]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["label", "order", "total", "currency", "issued_at"]
    search_fields = ["order__number"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["label", "order", "amount", "currency", "issued_at"]
    search_fields = ["order__number"]
