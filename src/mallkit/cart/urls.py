from django.urls import path

from . import views

app_name = "cart"

urlpatterns = [
    path("", views.detail, name="detail"),
    path("add/", views.add, name="add"),
    path("lines/<int:line_id>/", views.line_update, name="line_update"),
    path("lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
]
