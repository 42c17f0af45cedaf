from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    from .roles import sync_roles

    sync_roles(group_model=Group, permission_model=Permission)


class AccountsConfig(AppConfig):
    name = "mallkit.accounts"
    label = "accounts"

    def ready(self):
        # Runs after Django has created the permissions of every app in this migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="mallkit.accounts.sync_roles")
