from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, register_converter

from . import views
from .sitemaps import SITEMAPS


class UnicodeSlugConverter:
    """Slugs made with slugify(allow_unicode=True), such as "茶具" for a Chinese category."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(UnicodeSlugConverter, "uslug")

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("categories/<uslug:slug>/", views.category, name="category"),
    path("products/<uslug:slug>/", views.product, name="product"),
    path("products/<uslug:slug>/enquiry/", views.product_enquiry, name="product_enquiry"),
    path("search/", views.search, name="search"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("", include("mallkit.storefront.order_urls")),
]
