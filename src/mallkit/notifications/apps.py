from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "mallkit.notifications"
    label = "notifications"
