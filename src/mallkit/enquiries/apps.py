from django.apps import AppConfig


class EnquiriesConfig(AppConfig):
    name = "mallkit.enquiries"
    label = "enquiries"
