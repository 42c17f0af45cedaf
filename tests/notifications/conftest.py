from pathlib import Path

import pytest

from .catalog import read_po, write_mo

PAYMENTS_PO = Path(__file__).resolve().parents[2] / "tmp_i18n_payments.po"


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MALLKIT_TAX_RATE = "0"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_SANDBOX_SECRET = "test-sandbox-secret"
    settings.MALLKIT_SANDBOX_WEBHOOK_URL = ""


@pytest.fixture
def chinese(settings, tmp_path):
    """Simplified Chinese for the e-mails. While the payments issue's PO file waits to be merged
    into the project's catalogue its translations come first; after that, the catalogue's."""
    if PAYMENTS_PO.exists():
        write_mo(read_po(PAYMENTS_PO), tmp_path / "locale/zh_Hans/LC_MESSAGES/django.mo")
        settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
    return "zh-hans"
