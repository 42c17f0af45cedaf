from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mallkit.core"
    label = "core"
