"""The sandbox provider's own URLs, mounted at /sandbox/ with the namespace "sandbox"."""

from django.urls import path

from . import views

app_name = "sandbox"

urlpatterns = [
    path("pay/<str:reference>/", views.pay, name="pay"),
    path("pay/<str:reference>/confirm/", views.confirm, name="confirm"),
]
