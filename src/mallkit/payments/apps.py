from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "mallkit.payments"
    label = "payments"
