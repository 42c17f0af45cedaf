import pytest


@pytest.fixture(autouse=True)
def _shop_settings(settings):
    """The storefront tests assume a selling shop in English with small pages."""
    settings.MALLKIT_MODE = "shop"
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_PAGE_SIZE = 24
    settings.LANGUAGE_CODE = "en"
