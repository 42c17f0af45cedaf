from django.db import migrations, models


def refresh_statistics(apps, schema_editor):
    """SQLite plans with the index only once it has statistics; PostgreSQL keeps its own."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_product_newest")]

    operations = [
        migrations.RemoveIndex(model_name="product", name="product_featured"),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                fields=["-published_at", "-id"],
                condition=models.Q(is_featured=True),
                name="product_featured",
            ),
        ),
        migrations.RunPython(refresh_statistics, migrations.RunPython.noop),
    ]
