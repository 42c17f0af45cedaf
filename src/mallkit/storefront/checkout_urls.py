"""The checkout's URLs, mounted at /checkout/ with the namespace "checkout"."""

from django.urls import path

from . import checkout_views as views

app_name = "checkout"

urlpatterns = [
    path("", views.start, name="start"),
    path("shipping/", views.shipping, name="shipping"),
    path("payment/", views.payment, name="payment"),
    path("review/", views.review, name="review"),
    path("voucher/", views.voucher, name="voucher"),
    path("place/", views.place, name="place"),
    path("complete/<str:number>/", views.complete, name="complete"),
]
