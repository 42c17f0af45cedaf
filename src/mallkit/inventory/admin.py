from django.contrib import admin

from mallkit.catalog.admin import ChangesCatalog

from .models import StockLevel, StockMovement


@admin.register(StockLevel)
class StockLevelAdmin(ChangesCatalog, admin.ModelAdmin):
    list_display = ["variant", "on_hand", "allocated", "low_stock_threshold", "updated_at"]
    search_fields = ["variant__sku", "variant__product__name"]
    list_select_related = ["variant__product"]
    readonly_fields = ["on_hand", "allocated"]


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "variant",
        "on_hand_change",
        "allocated_change",
        "reason",
        "reference",
        "created_by",
    ]
    list_filter = ["reason"]
    search_fields = ["variant__sku", "reference"]
    list_select_related = ["variant__product", "created_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
