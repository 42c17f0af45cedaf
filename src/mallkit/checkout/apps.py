from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "mallkit.checkout"
    label = "checkout"
