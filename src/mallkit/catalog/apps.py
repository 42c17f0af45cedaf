from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "mallkit.catalog"
    label = "catalog"
