from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "mallkit.storefront"
    label = "storefront"
