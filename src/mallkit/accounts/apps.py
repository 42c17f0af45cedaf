from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    # post_migrate comes once per app with models, each after that app's permissions were
    # made: the roles need every app's, so they are synced once, after the last app.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if with_models and sender is not with_models[-1]:
        return
    from django.contrib.auth.models import Group, Permission

    from .roles import sync_roles

    sync_roles(group_model=Group, permission_model=Permission)


class AccountsConfig(AppConfig):
    name = "mallkit.accounts"
    label = "accounts"

    def ready(self):
        # Runs after Django has created the permissions of every app in this migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="mallkit.accounts.sync_roles")
