from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mallkit.api"
    label = "api"
