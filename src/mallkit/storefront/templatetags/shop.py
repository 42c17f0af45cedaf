"""Template helpers of the storefront: money, pictures, product cards and structured data."""

from django import template

from mallkit.catalog import selectors
from mallkit.core.text import plain_text

from .. import presentation

register = template.Library()


@register.filter
def money(amount):
    """{{ variant.price|money }} → "$29.90" in the shop's currency."""
    return presentation.format_money(amount)


@register.filter
def plain(html):
    """{{ product.description|plain }} → the visible words of sanitised HTML, for meta tags."""
    return plain_text(html)


@register.filter
def stock_label(status):
    """{{ stock|stock_label }} → "In stock", "Only 3 left" or "Out of stock"."""
    return presentation.stock_label(status)


@register.filter
def rendition_size(image, alias):
    """{% with size=image|rendition_size:'card' %} → (width, height) of that rendition."""
    return presentation.rendition_size(image, alias)


@register.inclusion_tag("storefront/includes/picture.html")
def picture(image, alias, alt="", loading="lazy", css_class=""):
    """An <img> of a rendition, or a placeholder when there is no picture.

    `image` is a ProductImage (its stored size gives the width and height) or a bare image
    field such as a category's picture.
    """
    source = getattr(image, "image", image)
    width, height = presentation.rendition_size(image, alias) if source else (None, None)
    return {
        "source": source or None,
        "alias": alias,
        "alt": getattr(image, "alt", "") or alt,
        "width": width,
        "height": height,
        "loading": loading,
        "css_class": css_class,
    }


@register.inclusion_tag("storefront/includes/product_card.html", takes_context=True)
def product_card(context, product, heading="h3"):
    """A product card for any list whose products come from selectors.with_card_data."""
    images = product.images.all()
    price = selectors.card_price(product)
    show_prices = context.get("show_prices", True)
    badges = []
    if product.is_coming_soon:
        badges.append("soon")
    elif not getattr(product, "in_stock", True):
        badges.append("out")
    if show_prices and price.on_sale and not product.is_coming_soon:
        badges.append("sale")
    if product.is_new:
        badges.append("new")
    return {
        "product": product,
        "image": images[0] if images else None,
        "price": price,
        "badges": badges,
        "show_prices": show_prices,
        "heading": heading,
        # A filtered list's chosen options (views.listing), which the product page then picks.
        "card_query": context.get("card_query", ""),
    }


@register.simple_tag(takes_context=True)
def absolute_uri(context, location):
    """{% absolute_uri url %} → the address with scheme and host, for meta tags."""
    if not location:
        return ""
    return context["request"].build_absolute_uri(location)


@register.simple_tag(takes_context=True)
def picture_uri(context, image, alias):
    """{% picture_uri image 'gallery' %} → the absolute address of a rendition."""
    return presentation.picture_url(context["request"], image, alias) if image else ""


@register.simple_tag(takes_context=True)
def product_json_ld(context, product, variant, images):
    """{% product_json_ld product variant images %} → a schema.org Product <script>."""
    return presentation.product_json_ld(
        context["request"],
        product=product,
        variant=variant,
        images=images,
        show_prices=context.get("show_prices", True),
    )
