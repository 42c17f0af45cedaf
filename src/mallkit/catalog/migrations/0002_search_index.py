from django.db import migrations

from mallkit.catalog import search


def forwards(apps, schema_editor):
    search.create_index(schema_editor)


def backwards(apps, schema_editor):
    search.drop_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
