"""WSGI entry point: `gunicorn mallkit.wsgi:application`.

Django's application behind the shared-page layer, which answers anonymous visitors' catalogue
pages from the page cache before Django runs (mallkit/core/shared_pages.py).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mallkit.settings")

django_application = get_wsgi_application()

from mallkit.core.shared_pages import SharedPageApp  # noqa: E402 - needs Django set up

application = SharedPageApp(django_application)
