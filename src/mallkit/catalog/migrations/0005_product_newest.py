from django.db import migrations, models


def refresh_statistics(apps, schema_editor):
    """SQLite plans with the index only once it has statistics; PostgreSQL keeps its own."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_history_and_imports")]

    operations = [
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["-published_at", "-id"], name="product_newest"),
        ),
        migrations.RunPython(refresh_statistics, migrations.RunPython.noop),
    ]
