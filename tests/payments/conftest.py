import pytest


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MALLKIT_TAX_RATE = "0"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_SANDBOX_SECRET = "test-sandbox-secret"
    settings.MALLKIT_SANDBOX_WEBHOOK_URL = ""
