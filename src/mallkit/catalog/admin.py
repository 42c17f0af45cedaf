from django.contrib import admin

from mallkit.core.cache import catalog_changed

from .models import Category, Option, OptionValue, Product, ProductImage, Variant


class ChangesCatalog:
    """For admin pages of what shoppers see: a change moves the catalogue version, as the
    back office's services do, so cached pages and line snapshots show it at once."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        catalog_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalog_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalog_changed()


@admin.register(Category)
class CategoryAdmin(ChangesCatalog, admin.ModelAdmin):
    list_display = ["name", "parent", "position", "is_active"]
    list_editable = ["position", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class OptionValueInline(admin.TabularInline):
    model = OptionValue
    extra = 0
    prepopulated_fields = {"slug": ["value"]}


@admin.register(Option)
class OptionAdmin(ChangesCatalog, admin.ModelAdmin):
    list_display = ["name", "position"]
    inlines = [OptionValueInline]
    prepopulated_fields = {"slug": ["name"]}


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "price", "compare_at_price", "weight", "position"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["image", "alt", "position"]


@admin.register(Product)
class ProductAdmin(ChangesCatalog, admin.ModelAdmin):
    list_display = ["name", "status", "price_from", "is_featured", "published_at"]
    list_filter = ["status", "is_featured", "categories"]
    search_fields = ["name", "variants__sku"]
    inlines = [VariantInline, ProductImageInline]
    filter_horizontal = ["categories"]
    readonly_fields = ["price_from"]

    def save_related(self, request, form, formsets, change):
        from .services import refresh_products

        super().save_related(request, form, formsets, change)
        refresh_products(product_ids=[form.instance.pk])
