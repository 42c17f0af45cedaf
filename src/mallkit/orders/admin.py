from django.contrib import admin

from .models import Order, OrderEvent, OrderLine


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
    inlines = [OrderLineInline, OrderEventInline]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False
