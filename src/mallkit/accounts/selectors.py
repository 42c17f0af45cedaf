"""Account reads for pages and endpoints; shopper data is always looked up through its owner."""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from mallkit.catalog.models import OptionValue, ProductImage
from mallkit.core.errors import NotFound

from .models import Address, User, WishlistItem


@dataclass(frozen=True)
class DefaultAddresses:
    shipping: Address | None
    billing: Address | None


def addresses_for_user(*, user: User):
    """The member's address book, defaults first (one query)."""
    return Address.objects.filter(user=user).order_by(
        "-is_default_shipping", "-is_default_billing", "-created_at", "-id"
    )


def address_for_user(*, user: User, address_id: int) -> Address:
    """One of the member's addresses; another member's (or a missing) id raises NotFound."""
    address = Address.objects.filter(
        user=user, pk=address_id if isinstance(address_id, int) else None
    ).first()
    if address is None:
        raise NotFound(_("This address is not in your address book."))
    return address


def default_addresses(*, user: User) -> DefaultAddresses:
    """The member's default delivery and billing addresses (one query)."""
    shipping = billing = None
    for address in Address.objects.filter(user=user).exclude(
        is_default_shipping=False, is_default_billing=False
    ):
        if address.is_default_shipping:
            shipping = address
        if address.is_default_billing:
            billing = address
    return DefaultAddresses(shipping=shipping, billing=billing)


def wishlist_for_user(*, user: User):
    """The member's favourites, newest first, with product, stock, options and pictures.

    Four queries whatever the number of favourites.
    """
    return (
        WishlistItem.objects.filter(user=user)
        .select_related("variant__product", "variant__stock")
        .prefetch_related(
            Prefetch(
                "variant__option_values",
                queryset=OptionValue.objects.select_related("option"),
            ),
            Prefetch(
                "variant__product__images", queryset=ProductImage.objects.order_by("position", "id")
            ),
        )
        .order_by("-created_at", "-id")
    )


def favourites_count(*, user: User) -> int:
    return WishlistItem.objects.filter(user=user).count()


def favourite_skus_by_product(*, user: User) -> dict[int, str]:
    """For product cards: the favourited SKU of each product the member favourited (one query)."""
    if user is None or not user.is_authenticated:
        return {}
    rows = (
        WishlistItem.objects.filter(user=user)
        .order_by("created_at", "id")
        .values_list("variant__product_id", "variant__sku")
    )
    found: dict[int, str] = {}
    for product_id, sku in rows:
        found.setdefault(product_id, sku)
    return found


def wishlist_item(*, user: User, pk: int) -> WishlistItem:
    """One of the member's favourites with what its listing shows."""
    return wishlist_for_user(user=user).get(pk=pk)


def favourite_stock_status(item: WishlistItem) -> str:
    """ "in_stock", "low", "out_of_stock", "coming_soon" or "not_sold" (no query)."""
    product = item.variant.product
    if product.is_coming_soon:
        return "coming_soon"
    if not product.is_purchasable:
        return "not_sold"
    try:
        level = item.variant.stock
    except ObjectDoesNotExist:
        return "out_of_stock"
    if level.available <= 0:
        return "out_of_stock"
    return "low" if level.is_low else "in_stock"
