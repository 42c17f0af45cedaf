from django.conf import settings


def shop(request):
    """Shop-wide values every storefront template may use."""
    return {
        "shop_name": settings.MALLKIT_SHOP_NAME,
        "shop_mode": settings.MALLKIT_MODE,
        "is_showcase": settings.MALLKIT_MODE == "showcase",
        "show_prices": settings.MALLKIT_MODE != "showcase" or settings.MALLKIT_SHOWCASE_SHOW_PRICES,
        "currency": settings.MALLKIT_CURRENCY,
    }
