from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from mallkit.api.urls import api
from mallkit.core import health

handler404 = "mallkit.storefront.views.page_not_found"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("backoffice/", include("mallkit.backoffice.urls", namespace="backoffice")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("mallkit.accounts.urls")),
    path("account/", include("allauth.urls")),
    path("cart/", include("mallkit.cart.urls")),
    path("checkout/", include("mallkit.storefront.checkout_urls")),
    path("sandbox/", include("mallkit.payments.sandbox.urls", namespace="sandbox")),
    path("", include("mallkit.storefront.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
