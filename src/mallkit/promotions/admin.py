from django.contrib import admin

from .models import Voucher, VoucherRedemption


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "kind",
        "value",
        "minimum_spend",
        "times_used",
        "usage_limit",
        "starts_at",
        "ends_at",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "description"]
    readonly_fields = ["times_used"]


@admin.register(VoucherRedemption)
class VoucherRedemptionAdmin(admin.ModelAdmin):
    list_display = ["voucher", "order", "email", "amount", "created_at"]
    search_fields = ["voucher__code", "email", "order__number"]
    list_select_related = ["voucher", "order"]
