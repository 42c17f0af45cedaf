"""How amounts, stock and picture sizes read, checked against the libraries that make them."""

from decimal import Decimal

import pytest
from easy_thumbnails.files import get_thumbnailer
from PIL import Image

from mallkit.catalog.selectors import StockStatus
from mallkit.storefront.presentation import format_money, rendition_size, stock_label

from .factories import ProductImageFactory


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("29.9"), "USD", "$29.90"),
        (Decimal("1299"), "USD", "$1,299.00"),
        (Decimal("0"), "EUR", "€0.00"),
        (Decimal("1299"), "JPY", "¥1,299"),
        (Decimal("12.5"), "CNY", "¥12.50"),
        (Decimal("7.125"), "KWD", "7.125\N{NO-BREAK SPACE}KWD"),
        (Decimal("45"), "chf", "45.00\N{NO-BREAK SPACE}CHF"),
        (None, "USD", ""),
    ],
)
def test_format_money(amount, currency, shown):
    assert format_money(amount, currency) == shown


def test_format_money_uses_the_shop_currency(settings):
    settings.MALLKIT_CURRENCY = "GBP"

    assert format_money(Decimal("5")) == "£5.00"


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (StockStatus("in_stock", 40), "In stock"),
        (StockStatus("low", 1), "Only 1 left"),
        (StockStatus("low", 4), "Only 4 left"),
        (StockStatus("out", 0), "Out of stock"),
        (None, "Out of stock"),
    ],
)
def test_stock_label(status, label):
    assert stock_label(status) == label


@pytest.mark.django_db
@pytest.mark.parametrize("size", [(800, 600), (2400, 1000), (300, 900), (100, 50), (1800, 1800)])
@pytest.mark.parametrize("alias", ["card", "gallery", "zoom", "thumb"])
def test_rendition_size_matches_what_easy_thumbnails_makes(size, alias):
    width, height = size
    image = ProductImageFactory(image__width=width, image__height=height)

    thumbnail = get_thumbnailer(image.image)[alias]
    with Image.open(thumbnail.path) as made:
        assert rendition_size(image, alias) == made.size
        assert made.format == "WEBP"


def test_rendition_size_of_a_bare_file_is_unknown():
    assert rendition_size(None, "card") == (None, None)
