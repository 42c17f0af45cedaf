from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "mallkit.orders"
    label = "orders"
