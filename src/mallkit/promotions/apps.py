from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "mallkit.promotions"
    label = "promotions"
