from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mallkit.accounts"
    label = "accounts"
