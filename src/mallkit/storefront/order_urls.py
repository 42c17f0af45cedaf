"""A shopper's order pages, included in the storefront's URLs (names are "storefront:…").

Order.get_absolute_url reverses "storefront:order_detail".
"""

from django.urls import path

from . import order_views as views

urlpatterns = [
    path("account/orders/<str:number>/", views.order_detail, name="order_detail"),
    path(
        "account/orders/<str:number>/refund/",
        views.order_refund_request,
        name="order_refund_request",
    ),
    path("orders/<str:number>/", views.order_by_link, name="order_by_link"),
]
