"""The project's URLs plus uploaded files, for browser tests: DEBUG is off in tests, so the
project's urls.py does not serve media."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from mallkit.urls import handler404
from mallkit.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "urlpatterns"]


def media(request, path):
    # Each test has its own MEDIA_ROOT, so read it per request.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [re_path(r"^media/(?P<path>.*)$", media), *project_urlpatterns]
