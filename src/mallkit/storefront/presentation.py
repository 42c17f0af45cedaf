"""How catalogue data reads to a shopper: money, stock wording, pictures and structured data.

Nothing here decides a price or a stock level; it only words and lays out what the catalogue
selectors return.
"""

import json

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from easy_thumbnails.alias import aliases
from easy_thumbnails.templatetags.thumbnail import thumbnail_url

from mallkit.catalog import selectors
from mallkit.core.money import minor_unit, quantize
from mallkit.core.text import plain_text

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "CNY": "¥",
    "JPY": "¥",
    "HKD": "HK$",
    "TWD": "NT$",
    "AUD": "A$",
    "CAD": "CA$",
    "SGD": "S$",
}
SCHEMA_AVAILABILITY = {
    "in_stock": "https://schema.org/InStock",
    "low": "https://schema.org/LimitedAvailability",
    "out": "https://schema.org/OutOfStock",
}
# What json_script escapes: inside <script> these three could end the element or open markup.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def prices_shown() -> bool:
    """A shop always shows prices; a showcase site only when it is set to."""
    return settings.MALLKIT_MODE != "showcase" or settings.MALLKIT_SHOWCASE_SHOW_PRICES


def format_money(amount, currency: str | None = None) -> str:
    """An amount as a shopper reads it: "$1,299.00", or "1,299.00 CHF" without a known symbol."""
    if amount is None or amount == "":
        return ""
    currency = (currency or settings.MALLKIT_CURRENCY).upper()
    places = -minor_unit(currency).as_tuple().exponent
    number = f"{quantize(amount, currency):,.{places}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number}\N{NO-BREAK SPACE}{currency}"


def stock_label(status: selectors.StockStatus | None) -> str:
    if status is None or status.code == "out":
        return gettext("Out of stock")
    if status.code == "low":
        return ngettext("Only %(count)d left", "Only %(count)d left", status.available) % {
            "count": status.available
        }
    return gettext("In stock")


def rendition_size(image, alias: str) -> tuple[int | None, int | None]:
    """The width and height easy-thumbnails gives `image` for `alias`, worked out from the
    source's stored size so pages need no query or file read for the img attributes."""
    if isinstance(image, FieldFile):
        # A bare file knows its size only by opening it; leave the attributes out instead.
        return None, None
    options = aliases.get(alias) or {}
    width, height = getattr(image, "width", None), getattr(image, "height", None)
    if not options or not width or not height:
        return None, None
    target_w, target_h = options["size"]
    crop = options.get("crop")
    fit = max if crop else min
    scale = fit(target_w / width, target_h / height)
    if scale < 1:
        width, height = round(width * scale), round(height * scale)
    if crop:
        width, height = min(width, target_w), min(height, target_h)
    return width, height


def variant_picker(product, *, variant, selection) -> list[dict]:
    """The option groups of a product page, each value marked when it is chosen.

    The chosen variant's values win; without one (an impossible combination), what the shopper
    asked for stays checked so the form shows their choice.
    """
    if variant is not None:
        chosen = {value.option.slug: value.slug for value in variant.option_values.all()}
    else:
        chosen = dict(selection)
    return [
        {
            "option": group["option"],
            "values": [
                (value, chosen.get(group["option"].slug) == value.slug) for value in group["values"]
            ],
        }
        for group in selectors.variant_options(product)
    ]


def variant_payload(product, *, show_prices: bool) -> list[dict]:
    """What the variant picker's script needs to switch price and stock without a reload."""
    payload = []
    for variant in product.variants.all():
        status = selectors.variant_stock(variant)
        payload.append(
            {
                "sku": variant.sku,
                "options": {value.option.slug: value.slug for value in variant.option_values.all()},
                "price": format_money(variant.price) if show_prices else "",
                "compare_at": (
                    format_money(variant.compare_at_price)
                    if show_prices and variant.is_on_sale
                    else ""
                ),
                "stock": stock_label(status),
                "stock_code": status.code,
            }
        )
    return payload


def picture_url(request, image, alias: str) -> str:
    """The absolute address of a picture's rendition (for Open Graph and structured data)."""
    url = thumbnail_url(image.image, alias)
    return request.build_absolute_uri(url) if url else ""


def product_json_ld(request, *, product, variant, images, show_prices: bool) -> str:
    """schema.org Product data as a <script> element, safe whatever the product is called."""
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": plain_text(product.seo_description or product.description),
        "url": request.build_absolute_uri(product.get_absolute_url()),
    }
    image_urls = [
        url for url in (picture_url(request, image, "gallery") for image in images) if url
    ]
    if image_urls:
        data["image"] = image_urls
    if variant is not None:
        data["sku"] = variant.sku
        if show_prices:
            offer = {
                "@type": "Offer",
                "price": str(quantize(variant.price)),
                "priceCurrency": settings.MALLKIT_CURRENCY,
                "url": data["url"],
            }
            if product.is_coming_soon:
                # Not for sale yet: say so, and when it is expected.
                offer["availability"] = SCHEMA_AVAILABILITY["out"]
                if product.expected_at:
                    offer["availabilityStarts"] = product.expected_at.isoformat()
            else:
                offer["availability"] = SCHEMA_AVAILABILITY[selectors.variant_stock(variant).code]
            data["offers"] = offer
    payload = json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308
