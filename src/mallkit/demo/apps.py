from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "mallkit.demo"
    label = "demo"
