from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "mallkit.inventory"
    label = "inventory"
