"""Cart reads: the shopper's current cart and its summary with server-side prices.

Checkout reads the cart through `current_cart` (a web request) or `cart_for_user` (an API token
holder) and prices it from `cart_summary`: prices always come from the variants, never from the
client, and every amount is rounded by mallkit.core.money.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ObjectDoesNotExist
from django.db import router
from django.db.models import Prefetch, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mallkit.catalog.models import OptionValue, ProductImage
from mallkit.catalog.snapshots import VariantSnapshot, variant_snapshots
from mallkit.core.db import CompiledQuery, loaded
from mallkit.core.money import ZERO, default_currency, quantize

from .models import Cart, CartLine
from .services import CART_SESSION_KEY, max_line_quantity, variant_with_stock


@dataclass(frozen=True)
class CartWarning:
    """Why a line cannot be bought as it is: `code` is "not_sold", "coming_soon",
    "out_of_stock", "short_stock" or "over_limit"."""

    code: str
    message: str


@dataclass
class CartLineSummary:
    line: CartLine
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    available: int
    max_quantity: int  # the most this line may hold now (for quantity inputs)
    warnings: list[CartWarning] = field(default_factory=list)
    #: The line's name, option label and picture from the catalogue's shared snapshots, set by
    #: cart_summary(snapshots=True), which reads no option values or pictures of its own.
    snapshot: VariantSnapshot | None = None

    @property
    def id(self):
        return self.line.pk

    @property
    def variant(self):
        return self.line.variant

    @property
    def product(self):
        return self.line.variant.product

    @property
    def sku(self):
        return self.line.variant.sku

    @property
    def image(self):
        images = list(self.product.images.all())
        return images[0] if images else None

    @property
    def is_purchasable(self):
        return self.product.is_purchasable


@dataclass
class CartSummary:
    cart: Cart | None
    lines: list[CartLineSummary]
    subtotal: Decimal
    item_count: int
    currency: str

    @property
    def is_empty(self):
        return not self.lines

    @property
    def has_warnings(self):
        return any(line.warnings for line in self.lines)

    @property
    def can_check_out(self):
        """Checkout needs at least one line and no line with a warning."""
        return bool(self.lines) and not self.has_warnings


def current_cart(*, user=None, session: SessionBase | None = None) -> Cart | None:
    """The cart of a web request's shopper, without creating one (one query at most)."""
    if user is not None and user.is_authenticated:
        return cart_for_user(user=user)
    token = session.get(CART_SESSION_KEY) if session is not None else None
    if not token:
        return None
    return Cart.objects.filter(token=token, user__isnull=True).first()


def cart_for_user(*, user) -> Cart | None:
    """A member's stored cart (what an API token holder uses), or None."""
    return Cart.objects.filter(user=user).first()


_MEMBER_LINES = CompiledQuery(
    CartLine,
    lambda user_id: CartLine.objects.filter(cart__user_id=user_id).values_list(
        "cart_id", "variant_id", "quantity"
    ),
    ints=("user_id",),
)


def member_cart_items(*, user) -> tuple[Cart | None, dict[int, int]]:
    """A member's stored cart and its {variant id: quantity}, in one query (what an API order
    reads). The cart has only its id loaded; None when the member has no lines at all."""
    rows = _MEMBER_LINES.rows(user_id=user.pk)
    if not rows:
        return None, {}
    cart = loaded(Cart, router.db_for_read(Cart), {"id": rows[0][0], "user_id": user.pk})
    return cart, {variant_id: quantity for _cart_id, variant_id, quantity in rows}


def cart_items(*, cart: Cart | None) -> dict[int, int]:
    """{variant id: quantity} of a cart, the basket checkout.services.quote() prices."""
    if cart is None:
        return {}
    return dict(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity"))


def cart_item_count(*, user=None, session: SessionBase | None = None) -> int:
    """How many units the shopper's cart holds, for the header (one query at most)."""
    if user is not None and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user)
    else:
        token = session.get(CART_SESSION_KEY) if session is not None else None
        if not token:
            return 0
        lines = CartLine.objects.filter(cart__token=token, cart__user__isnull=True)
    return lines.aggregate(total=Sum("quantity"))["total"] or 0


def _available(variant) -> int:
    try:
        level = variant.stock
    except ObjectDoesNotExist:
        return 0
    return level.available


def _warnings(*, product, quantity: int, available: int, maximum: int) -> list[CartWarning]:
    if product.is_coming_soon:
        return [CartWarning("coming_soon", _("Coming soon: it cannot be ordered yet."))]
    if not product.is_purchasable:
        return [CartWarning("not_sold", _("This product is no longer sold."))]
    if available <= 0:
        return [CartWarning("out_of_stock", _("Out of stock."))]
    warnings = []
    if quantity > available:
        message = ngettext(
            "Only %(available)d is available.", "Only %(available)d are available.", available
        ) % {"available": available}
        warnings.append(CartWarning("short_stock", message))
    if quantity > maximum:
        warnings.append(
            CartWarning(
                "over_limit", _("At most %(maximum)d can be ordered.") % {"maximum": maximum}
            )
        )
    return warnings


def cart_lines(*, cart: Cart):
    """The lines of a cart with what pricing and pages need (three queries, any length)."""
    return (
        CartLine.objects.filter(cart=cart)
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
        .order_by("created_at", "id")
    )


# What prices, stock and warnings need of a cart's lines: read by every API call that
# answers the cart, so compiled once (core.db.CompiledQuery).
_PRICED_LINES = CompiledQuery(
    CartLine,
    lambda cart_id: (
        CartLine.objects.filter(cart_id=cart_id)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "quantity",
            "variant_id",
            "variant__sku",
            "variant__price",
            "variant__product_id",
            "variant__product__status",
            "variant__product__published_at",
            "variant__stock__id",
            "variant__stock__on_hand",
            "variant__stock__allocated",
        )
    ),
    ints=("cart_id",),
)


def _priced_lines(*, cart: Cart) -> list[CartLine]:
    """The lines of a cart with only what prices, stock and warnings need (one query)."""
    db = router.db_for_read(CartLine)
    lines = []
    for row in _PRICED_LINES.rows(cart_id=cart.pk):
        pk, quantity, variant_id, sku, price, product_id, status, published, *stock = row
        line = loaded(
            CartLine,
            db,
            {"id": pk, "cart_id": cart.pk, "variant_id": variant_id, "quantity": quantity},
        )
        line.variant = variant_with_stock(
            db,
            {"id": variant_id, "product_id": product_id, "sku": sku, "price": price},
            {"id": product_id, "status": status, "published_at": published},
            dict(zip(("id", "on_hand", "allocated"), stock, strict=True)),
        )
        lines.append(line)
    return lines


def cart_summary(*, cart: Cart | None, snapshots: bool = False) -> CartSummary:
    """The cart's lines with unit prices, line totals, warnings and the subtotal.

    Prices are read from the variants now; lines of products no longer sold or out of stock
    carry a warning and still count in the subtotal, so the shopper sees what changed.

    Pages render pictures with ProductImage rows (their sizes and alt texts), so by default the
    lines come with their products, option values and pictures (three queries). With
    `snapshots=True` (the API) each line instead gets a `snapshot` (product name and slug,
    option label, picture name) from the shared cache, and its variant and product hold only
    SKU, price and status: one query when the snapshots are cached. Reading `image` or
    `variant.label` of such a line would cost a query each.
    """
    currency = default_currency()
    if cart is None:
        return CartSummary(cart=None, lines=[], subtotal=ZERO, item_count=0, currency=currency)
    maximum = max_line_quantity()
    if snapshots:
        lines = _priced_lines(cart=cart)
        found = variant_snapshots(variant_ids=[line.variant_id for line in lines])
        # A variant missing here was deleted since the lines were read, and its line with it.
        lines = [line for line in lines if line.variant_id in found]
    else:
        lines = cart_lines(cart=cart)
        found = {}
    summaries = []
    for line in lines:
        available = _available(line.variant)
        unit_price = quantize(line.variant.price, currency)
        summaries.append(
            CartLineSummary(
                line=line,
                quantity=line.quantity,
                unit_price=unit_price,
                line_total=quantize(unit_price * line.quantity, currency),
                available=available,
                max_quantity=max(min(maximum, available), line.quantity, 1),
                warnings=_warnings(
                    product=line.variant.product,
                    quantity=line.quantity,
                    available=available,
                    maximum=maximum,
                ),
                snapshot=found.get(line.variant_id),
            )
        )
    return CartSummary(
        cart=cart,
        lines=summaries,
        subtotal=quantize(sum((s.line_total for s in summaries), ZERO), currency),
        item_count=sum(s.quantity for s in summaries),
        currency=currency,
    )
