from django.contrib import admin

from .models import Enquiry


@admin.register(Enquiry)
class EnquiryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "name", "email", "product", "is_read"]
    list_filter = ["is_read"]
    search_fields = ["name", "email", "company", "message"]
    readonly_fields = ["product", "name", "email", "phone", "company", "message", "created_at"]
