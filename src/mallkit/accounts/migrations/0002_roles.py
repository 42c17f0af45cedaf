from django.contrib.auth.management import create_permissions
from django.db import migrations

from mallkit.accounts.roles import sync_roles


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrate; make them now so the roles get them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(group_model=apps.get_model("auth", "Group"),
               permission_model=apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    from mallkit.accounts.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0003_optionvalue_order"),
        ("inventory", "0001_initial"),
        ("enquiries", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
