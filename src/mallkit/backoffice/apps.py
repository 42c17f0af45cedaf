from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def superusers_only(request) -> bool:
    """Django admin is a developer's tool: staff work in the back office instead."""
    return request.user.is_active and request.user.is_superuser


class BackofficeConfig(AppConfig):
    name = "mallkit.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")

    def ready(self):
        from django.contrib import admin

        admin.site.has_permission = superusers_only
