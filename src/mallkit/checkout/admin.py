from django.contrib import admin

from .models import ShippingMethod, TaxRate


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "price",
        "free_above",
        "countries",
        "regions",
        "position",
        "is_active",
    ]
    list_editable = ["position", "is_active"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["name", "rate"]
    filter_horizontal = ["categories"]
