"""Cart services: adding, changing and removing lines, and merging carts at login.

Quantities are checked in one place (`parse_quantity`). A line grows with one upsert (INSERT, or
on the unique cart and variant `quantity = quantity + n` while within the limit), so two
requests adding the same product at once never lose a unit nor fail on the constraint.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mallkit.catalog.models import Product, Variant
from mallkit.core.db import CompiledQuery, loaded, update_each
from mallkit.core.errors import Conflict, NotFound, ValidationFailed
from mallkit.inventory.models import StockLevel
from mallkit.inventory.selectors import available_by_variant

from .models import Cart, CartLine

# The session key that holds an anonymous shopper's cart token. Django keeps session data
# when it changes the session key at login, which is what lets the cart be merged then.
CART_SESSION_KEY = "mallkit_cart"
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class InvalidQuantity(ValidationFailed):
    """The quantity must be a whole number within the allowed range."""

    code = "invalid_quantity"


class UnknownSku(ValidationFailed):
    """No product on sale has this SKU."""

    code = "unknown_sku"


class ProductNotAvailable(Conflict):
    """The product cannot be ordered."""

    code = "not_available"


class NotEnoughStock(Conflict):
    """There is not enough stock."""

    code = "insufficient_stock"

    def __init__(self, message: str = "", *, available: int):
        super().__init__(message, errors={"quantity": [message]} if message else None)
        self.available = available
        self.extra = {"available": available}


class CartDisabled(NotFound):
    """The shop is a showcase: it takes no orders."""

    code = "cart_disabled"


@dataclass(frozen=True)
class MergeAdjustment:
    """A line whose merged quantity was lowered to what can be had."""

    sku: str
    requested: int
    quantity: int


def cart_enabled() -> bool:
    """Whether shoppers can fill a cart (not in showcase mode)."""
    return settings.MALLKIT_MODE != "showcase"


def ensure_cart_enabled() -> None:
    if not cart_enabled():
        raise CartDisabled(_("This shop is a showcase and takes no orders."))


def max_line_quantity() -> int:
    return settings.MALLKIT_MAX_LINE_QUANTITY


def parse_quantity(value) -> int:
    """Return `value` as a quantity from 1 to the per-line maximum, or raise InvalidQuantity.

    Accepts an int or a string of ASCII digits (form input); refuses booleans, fractions,
    floats (even 2.0, which is not a whole number as typed) and anything else.
    """
    maximum = max_line_quantity()
    message = _("Enter a whole number from 1 to %(maximum)d.") % {"maximum": maximum}
    if isinstance(value, bool):
        quantity = None
    elif isinstance(value, int):
        quantity = value
    elif isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        quantity = int(value.strip())
    else:
        quantity = None
    if quantity is None or not 1 <= quantity <= maximum:
        raise InvalidQuantity(message, errors={"quantity": [message]})
    return quantity


_PRODUCT_CACHE = Variant._meta.get_field("product")
_STOCK_CACHE = Variant._meta.get_field("stock")


def variant_with_stock(db: str, variant: dict, product: dict, stock: dict) -> Variant:
    """A Variant with its product and stock level attached, from columns read in one query:
    `variant` by Variant attribute, `product` by Product attribute, `stock` by StockLevel
    attribute (its "id" None: the variant has no stock level). Fields not given are deferred.
    """
    found = loaded(Variant, db, variant)
    _PRODUCT_CACHE.set_cached_value(found, loaded(Product, db, product))
    level = None
    if stock.get("id") is not None:
        level = loaded(StockLevel, db, {**stock, "variant_id": found.pk})
    _STOCK_CACHE.set_cached_value(found, level)
    return found


# Every add to a cart reads this: compiled once (core.db.CompiledQuery), not per request.
_VARIANT_BY_SKU = CompiledQuery(
    Variant,
    lambda sku: (
        Variant.objects.filter(sku=sku)
        # The SKU is unique: no ordering.
        .order_by()
        .values_list(
            "id",
            "product_id",
            "sku",
            "product__name",
            "product__status",
            "product__published_at",
            "stock__id",
            "stock__on_hand",
            "stock__allocated",
        )
    ),
    strs=("sku",),
)


def _sellable_variant(sku) -> Variant:
    """The variant with this SKU if its product can be bought now, with its product's name and
    status and its stock level read in the same query (other fields are deferred)."""
    variant = None
    if isinstance(sku, str) and sku.strip():
        rows = _VARIANT_BY_SKU.rows(sku=sku.strip())
        if rows:
            pk, product_id, code, name, status, published_at, level, on_hand, allocated = rows[0]
            variant = variant_with_stock(
                router.db_for_read(Variant),
                {"id": pk, "product_id": product_id, "sku": code},
                {"id": product_id, "name": name, "status": status, "published_at": published_at},
                {"id": level, "on_hand": on_hand, "allocated": allocated},
            )
    product = variant.product if variant is not None else None
    if product is not None and product.is_coming_soon:
        raise ProductNotAvailable(
            _("“%(name)s” is coming soon and cannot be ordered yet.") % {"name": product.name}
        )
    if product is not None and product.status == Product.Status.ARCHIVED:
        raise ProductNotAvailable(_("“%(name)s” is no longer sold.") % {"name": product.name})
    if product is None or not product.is_purchasable:
        # Drafts and products not yet published look exactly like unknown SKUs.
        message = _("No product has this SKU.")
        raise UnknownSku(message, errors={"sku": [message]})
    return variant


def _stock_of(variant: Variant) -> int:
    """Units available of a variant read with select_related("stock"); 0 without a level."""
    try:
        return variant.stock.available
    except ObjectDoesNotExist:
        return 0


def _available(variant_id: int) -> int:
    return available_by_variant(variant_ids=[variant_id]).get(variant_id, 0)


def _stock_message(*, available: int, in_cart: int = 0) -> str:
    if available <= 0:
        return _("This product is out of stock.")
    message = ngettext(
        "Only %(available)d is available.", "Only %(available)d are available.", available
    ) % {"available": available}
    if in_cart:
        message += " " + ngettext(
            "Your cart already holds %(count)d.", "Your cart already holds %(count)d.", in_cart
        ) % {"count": in_cart}
    return message


_upsert_sql: dict[str, str] = {}


def _upsert_statement(connection) -> str:
    """INSERT a line, or add to the existing one while it stays within a limit; RETURNING the
    line's id and quantity, or no row when the line would exceed the limit. The same text on
    SQLite (3.35 and later) and PostgreSQL."""
    sql = _upsert_sql.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        meta = CartLine._meta
        table = quote(meta.db_table)

        def column(name):
            return quote(meta.get_field(name).column)

        quantity, updated = column("quantity"), column("updated_at")
        # Only quoted names from the model's metadata go into the text; values are parameters.
        sql = _upsert_sql[connection.vendor] = (
            f"INSERT INTO {table} ({column('created_at')}, {updated}, {column('cart')}, "  # noqa: S608
            f"{column('variant')}, {quantity}) VALUES (%s, %s, %s, %s, %s) "
            f"ON CONFLICT ({column('cart')}, {column('variant')}) DO UPDATE SET "
            f"{quantity} = {table}.{quantity} + excluded.{quantity}, "
            f"{updated} = excluded.{updated} "
            f"WHERE {table}.{quantity} + excluded.{quantity} <= %s "
            f"RETURNING {quote(meta.pk.column)}, {quantity}"
        )
    return sql


def _grow_line(*, cart: Cart, variant: Variant, quantity: int, limit: int) -> CartLine | None:
    """Add `quantity` units to the cart's line of a variant, creating it if needed.

    Returns None, changing nothing, when the line would then hold more than `limit`. One
    statement (an upsert on the line's unique cart and variant), so two requests adding the
    same product at once never lose a unit nor fail on the constraint.
    """
    if quantity > limit:
        return None
    connection = connections[router.db_for_write(CartLine)]
    now = CartLine._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    params = [now, now, cart.pk, variant.pk, quantity, limit]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_statement(connection), params)
        row = cursor.fetchone()
    if row is None:
        return None
    line = CartLine.from_db(
        connection.alias,
        ["id", "cart_id", "variant_id", "quantity"],
        [row[0], cart.pk, variant.pk, row[1]],
    )
    # The caller already holds the variant and its product; spare it two queries.
    line.variant = variant
    return line


def _touch(cart: Cart) -> None:
    # Twice per order (adding, then emptying after checkout): a prepared UPDATE costs a
    # fraction of compiling QuerySet.update().
    update_each(Cart, fields=("updated_at",), keys=("id",), rows=[(timezone.now(), cart.pk)])


def add_to_cart(*, cart: Cart, sku: str, quantity) -> CartLine:
    """Put units of the variant with `sku` in the cart, adding to a line it already has.

    More than the stock available or the per-line maximum is refused with a message saying how
    many can be had; the cart is then unchanged.
    """
    ensure_cart_enabled()
    quantity = parse_quantity(quantity)
    variant = _sellable_variant(sku)
    maximum = max_line_quantity()
    available = _stock_of(variant)
    # No transaction: the line changes in one statement, and the cart's timestamp after it is
    # no invariant worth a BEGIN and a COMMIT.
    line = _grow_line(cart=cart, variant=variant, quantity=quantity, limit=min(maximum, available))
    if line is None:
        in_cart = (
            CartLine.objects.filter(cart=cart, variant_id=variant.pk)
            .values_list("quantity", flat=True)
            .first()
            or 0
        )
        if in_cart + quantity > maximum and available >= maximum:
            message = _("You can have at most %(maximum)d of one item in your cart.") % {
                "maximum": maximum
            }
            raise InvalidQuantity(message, errors={"quantity": [message]})
        raise NotEnoughStock(
            _stock_message(available=available, in_cart=in_cart), available=available
        )
    _touch(cart)
    return line


def _line_of(*, cart: Cart, line_id) -> CartLine:
    line = (
        CartLine.objects.select_related("variant__product")
        .filter(cart=cart, pk=line_id if isinstance(line_id, int) else None)
        .first()
    )
    if line is None:
        raise NotFound(_("This line is not in your cart."))
    return line


def set_line_quantity(*, cart: Cart, line_id: int, quantity) -> CartLine:
    """Change the quantity of one line of the cart.

    Raising a quantity beyond the stock, or of a product no longer sold, is refused; lowering
    is always allowed so a shopper can bring a short line down to what is left.
    """
    ensure_cart_enabled()
    quantity = parse_quantity(quantity)
    line = _line_of(cart=cart, line_id=line_id)
    if quantity > line.quantity:
        product = line.variant.product
        if not product.is_purchasable:
            raise ProductNotAvailable(
                _("“%(name)s” cannot be ordered any more; remove it from your cart.")
                % {"name": product.name}
            )
        available = _available(line.variant_id)
        if quantity > available:
            raise NotEnoughStock(_stock_message(available=available), available=available)
    with transaction.atomic():
        CartLine.objects.filter(pk=line.pk).update(quantity=quantity, updated_at=timezone.now())
        _touch(cart)
    line.quantity = quantity
    return line


def remove_line(*, cart: Cart, line_id: int) -> None:
    """Take one line out of the cart."""
    ensure_cart_enabled()
    with transaction.atomic():
        deleted, _counts = CartLine.objects.filter(
            cart=cart, pk=line_id if isinstance(line_id, int) else None
        ).delete()
        if not deleted:
            raise NotFound(_("This line is not in your cart."))
        _touch(cart)


def clear_cart(*, cart: Cart) -> None:
    """Empty the cart, as after an order has been placed from it."""
    # No savepoint of its own: checkout calls this inside its transaction, which keeps the two
    # statements together; called alone, the timestamp after the DELETE is no invariant.
    CartLine.objects.filter(cart=cart).delete()
    _touch(cart)


_MEMBER_CART = CompiledQuery(
    Cart, lambda user_id: Cart.objects.filter(user_id=user_id).values_list("id"), ints=("user_id",)
)


def get_or_create_cart(*, user=None, session: SessionBase | None = None) -> Cart:
    """The member's stored cart, or the anonymous cart of this session; made when missing."""
    ensure_cart_enabled()
    if user is not None and user.is_authenticated:
        found = _MEMBER_CART.rows(user_id=user.pk)
        if found:
            # Every API add reads this: the id is all the cart's services need (the rest loads
            # when read).
            return Cart.from_db(router.db_for_read(Cart), ["id", "user_id"], [found[0][0], user.pk])
        # get_or_create retries a lookup when a parallel request created the cart first.
        cart, _created = Cart.objects.get_or_create(user=user)
        return cart
    if session is None:
        raise ValueError("An anonymous cart needs the shopper's session.")
    token = session.get(CART_SESSION_KEY)
    if token:
        cart = Cart.objects.filter(token=token, user__isnull=True).first()
        if cart is not None:
            return cart
    cart = Cart.objects.create(token=secrets.token_urlsafe(32))
    session[CART_SESSION_KEY] = cart.token
    return cart


def merge_carts(*, source: Cart, target: Cart) -> list[MergeAdjustment]:
    """Move every line of `source` into `target`, then delete `source`.

    Quantities of the same variant add up, capped by the stock available and the per-line
    maximum (but never below one: a line is not silently dropped, its warning shows instead).
    Lines of products no longer sold are kept; the cart summary flags them. Returns the lines
    whose quantity had to be lowered.
    """
    if source.pk == target.pk:
        return []
    maximum = max_line_quantity()
    adjustments = []
    with transaction.atomic():
        incoming = list(
            CartLine.objects.filter(cart=source)
            .select_related("variant__product")
            .order_by("variant_id")
        )
        variant_ids = [line.variant_id for line in incoming]
        # Locking the target's lines keeps a parallel add from slipping between read and write.
        before = dict(
            CartLine.objects.select_for_update()
            .filter(cart=target, variant_id__in=variant_ids)
            .order_by("pk")
            .values_list("variant_id", "quantity")
        )
        available = available_by_variant(variant_ids=variant_ids)
        for line in incoming:
            cap = maximum
            if line.variant.product.is_purchasable:
                cap = max(min(maximum, available.get(line.variant_id, 0)), 1)
            requested = before.get(line.variant_id, 0) + line.quantity
            _merge_line(target=target, variant_id=line.variant_id, quantity=line.quantity, cap=cap)
            if requested > cap:
                adjustments.append(MergeAdjustment(line.variant.sku, requested, cap))
        source.delete()
        _touch(target)
    return adjustments


def _merge_line(*, target: Cart, variant_id: int, quantity: int, cap: int) -> None:
    lines = CartLine.objects.filter(cart=target, variant_id=variant_id)
    for _attempt in range(3):
        if lines.update(
            quantity=Least(F("quantity") + quantity, Value(cap)), updated_at=timezone.now()
        ):
            return
        try:
            with transaction.atomic():
                CartLine.objects.create(
                    cart=target, variant_id=variant_id, quantity=min(quantity, cap)
                )
            return
        except IntegrityError:
            continue
    raise Conflict(_("Your cart changed while it was being updated; please try again."))


def merge_session_cart(*, user, session: SessionBase) -> list[MergeAdjustment]:
    """At login: merge the anonymous cart of the session into the member's stored cart."""
    token = session.pop(CART_SESSION_KEY, None)
    if not token:
        return []
    source = Cart.objects.filter(token=token, user__isnull=True).first()
    if source is None:
        return []
    if not source.lines.exists():
        source.delete()
        return []
    return merge_carts(source=source, target=get_or_create_cart(user=user))


def delete_abandoned_carts(*, now=None) -> int:
    """Delete anonymous carts nobody changed for MALLKIT_ABANDONED_CART_DAYS days, with their
    lines; returns how many. Members' carts are kept whatever their age."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.MALLKIT_ABANDONED_CART_DAYS)
    _deleted, counts = Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff).delete()
    return counts.get(Cart._meta.label, 0)
