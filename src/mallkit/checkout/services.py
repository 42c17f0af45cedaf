"""Placing an order: price on the server, take the stock, count the voucher, open the payment.

All of it happens in one transaction, so an order either exists complete or not at all.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mallkit.catalog.models import Product, Variant
from mallkit.catalog.snapshots import variant_snapshots
from mallkit.core.db import CompiledQuery
from mallkit.core.errors import DomainError, ValidationFailed
from mallkit.core.money import default_currency
from mallkit.inventory import services as inventory
from mallkit.orders import services as orders
from mallkit.orders.models import Order
from mallkit.payments import gateways
from mallkit.payments import services as payments
from mallkit.promotions import services as promotions

from . import pricing, selectors
from .models import ShippingMethod

ADDRESS_FIELDS = (
    "full_name",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
)
REQUIRED_ADDRESS_FIELDS = ("full_name", "line1", "city", "postal_code", "country")


class EmptyCart(ValidationFailed):
    """There is nothing to order."""

    code = "empty_cart"


@dataclass(frozen=True)
class Quote:
    """A priced basket, ready to show or to order."""

    totals: pricing.Totals
    #: {variant id: PricedVariant} (price and whether it is sold, read now)
    variants: dict
    #: {variant id: VariantSnapshot} (the names, labels and pictures the lines show)
    snapshots: dict
    shipping_method: ShippingMethod | None
    voucher: object | None


def clean_address(data: dict | None) -> dict:
    """Return a trimmed address snapshot or raise ValidationFailed with field errors."""
    data = data or {}
    errors = {}
    clean = {}
    for name in ADDRESS_FIELDS:
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = [_("Enter text.")]
            continue
        value = value.strip()
        if len(value) > 120:
            errors[name] = [_("At most 120 characters.")]
        clean[name] = value
    for name in REQUIRED_ADDRESS_FIELDS:
        if not clean.get(name) and name not in errors:
            errors[name] = [_("This field is required.")]
    country = clean.get("country", "")
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = [_("Enter a two-letter ISO country code, such as US or CN.")]
    clean["country"] = country.upper()
    if errors:
        raise ValidationFailed(_("Please correct the address."), errors=errors)
    return clean


@dataclass(frozen=True)
class PricedVariant:
    """What pricing and the sale check read of a variant, always fresh from the database."""

    pk: int
    product_id: int
    sku: str
    price: Decimal
    product_name: str
    is_purchasable: bool


_PRICED_VARIANTS = CompiledQuery(
    Variant,
    lambda ids: (
        Variant.objects.filter(pk__in=ids)
        .order_by()
        .values_list(
            "pk",
            "product_id",
            "sku",
            "price",
            "product__name",
            "product__status",
            "product__published_at",
        )
    ),
    int_lists=("ids",),
)


def _load_variants(items: dict[int, int]) -> dict[int, PricedVariant]:
    # Plain rows from a query compiled once: this runs for every order and checkout page.
    rows = _PRICED_VARIANTS.rows(ids=sorted(items))
    variants = {
        pk: PricedVariant(
            pk=pk,
            product_id=product_id,
            sku=sku,
            price=price,
            product_name=name,
            is_purchasable=Product.sells(status=status, published_at=published_at),
        )
        for pk, product_id, sku, price, name, status, published_at in rows
    }
    errors = []
    for variant_id in items:
        variant = variants.get(variant_id)
        if variant is None or not variant.is_purchasable:
            name = variant.product_name if variant else _("An item")
            errors.append(_("%(name)s is no longer sold.") % {"name": name})
    if errors:
        raise ValidationFailed(" ".join(errors), code="not_sold", errors={"lines": errors})
    return variants


def quote(
    *,
    items: dict[int, int],
    shipping_method_code: str = "",
    voucher_code: str = "",
    address: dict | None = None,
    customer=None,
    email: str = "",
    shipping_method: ShippingMethod | None = None,
) -> Quote:
    """Price a basket with the given choices (raises on a choice that cannot be used).

    `shipping_method`: the active method of `shipping_method_code`, when the caller has read it.
    """
    if not items:
        raise EmptyCart(_("Your cart is empty."))
    for quantity in items.values():
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not (1 <= quantity <= settings.MALLKIT_MAX_LINE_QUANTITY)
        ):
            raise ValidationFailed(
                _("Quantities must be whole numbers from 1 to %(max)s.")
                % {"max": settings.MALLKIT_MAX_LINE_QUANTITY},
                code="invalid_quantity",
            )
    variants = _load_variants(items)
    method = None
    if shipping_method_code:
        method = shipping_method
        if method is None or method.code != shipping_method_code:
            method = selectors.active_shipping_method(code=shipping_method_code)
        if method is None:
            raise ValidationFailed(
                _("Choose a shipping method."),
                code="invalid_shipping_method",
                errors={"shipping_method": [_("Unknown shipping method.")]},
            )
        if address is not None and not method.serves(
            country=address.get("country", ""), region=address.get("region", "")
        ):
            message = _("%(method)s does not deliver to this address.") % {"method": method.name}
            raise ValidationFailed(
                message, code="shipping_not_available", errors={"shipping_method": [message]}
            )
    rates = selectors.tax_rates_for(variants=list(variants.values()))
    price_items = [
        pricing.Item(key=vid, unit_price=variants[vid].price, quantity=qty, tax_rate=rates[vid])
        for vid, qty in sorted(items.items())
    ]
    currency = default_currency()
    subtotal = sum((i.unit_price * i.quantity for i in price_items), 0)
    voucher = None
    if voucher_code:
        voucher = promotions.find_voucher(
            code=voucher_code, subtotal=subtotal, customer=customer, email=email
        )
    totals = pricing.compute_totals(
        items=price_items,
        currency=currency,
        prices_include_tax=settings.MALLKIT_PRICES_INCLUDE_TAX,
        discount=pricing.Discount(voucher.kind, voucher.value) if voucher else None,
        shipping_price=method.price if method else 0,
        shipping_free_above=method.free_above if method else None,
        shipping_tax_rate=selectors.shop_tax_rate(),
    )
    return Quote(
        totals=totals,
        variants=variants,
        snapshots=variant_snapshots(variant_ids=list(variants)),
        shipping_method=method,
        voucher=voucher,
    )


def scoped_idempotency_key(*, key: str, customer=None, email: str = "") -> str | None:
    """The stored key: the client's key scoped to who sent it, so keys never collide."""
    if not key:
        return None
    owner = f"user:{customer.pk}" if customer is not None else f"guest:{email.lower()}"
    return hashlib.sha256(f"{owner}|{key}".encode()).hexdigest()


def place_order(
    *,
    items: dict[int, int],
    email: str,
    shipping_address: dict | None,
    shipping_method_code: str,
    payment_method: str,
    customer=None,
    voucher_code: str = "",
    idempotency_key: str = "",
    note: str = "",
    language: str = "en",
    after_place=None,
    return_url=None,
) -> Order:
    """Create an order from a basket, all or nothing; the same idempotency key returns the
    same order. `after_place(order, payment)` runs inside the transaction and only when this
    call creates the order (e.g. to empty the cart), with the order's new payment.
    `return_url(order)`: where an online payment page sends the shopper back; a payment
    method that starts locally (cash on delivery, bank transfer) is started in the order's
    transaction with it.

    Raises InsufficientStock (with every short line) when stock is short; nothing is written.
    """
    if customer is not None and not customer.is_authenticated:
        customer = None
    email = (email or (customer.email if customer else "")).strip().lower()
    key = scoped_idempotency_key(key=idempotency_key, customer=customer, email=email)
    # A replay is recognised when placing fails (the cart is empty by then, or the key is
    # taken), not by a lookup before every order.
    try:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(
                _("Enter a valid e-mail address."),
                errors={"email": [_("Enter a valid e-mail address.")]},
            ) from None
        gateway = gateways.get(payment_method)
        method = selectors.active_shipping_method(code=shipping_method_code)
        address = (
            clean_address(shipping_address)
            if (method is None or method.needs_address)
            else (clean_address(shipping_address) if shipping_address else {})
        )
        offer = quote(
            items=items,
            shipping_method_code=shipping_method_code,
            voucher_code=voucher_code,
            address=address or None,
            customer=customer,
            email=email,
            shipping_method=method,
        )
        totals = offer.totals
        if offer.shipping_method is None:
            raise ValidationFailed(
                _("Choose a shipping method."),
                code="invalid_shipping_method",
                errors={"shipping_method": [_("Choose a shipping method.")]},
            )

        lines = []
        for line in totals.lines:
            variant = offer.variants[line.key]
            snapshot = offer.snapshots.get(line.key)
            lines.append(
                {
                    "variant_id": variant.pk,
                    "product_name": snapshot.product_name if snapshot else variant.product_name,
                    "variant_label": snapshot.label if snapshot else "",
                    "sku": variant.sku,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "tax_rate": line.tax_rate,
                    "discount": line.discount,
                    "tax": line.tax,
                    "total": line.total,
                    "image_url": snapshot.image if snapshot else "",
                }
            )
        fields = {
            "customer": customer,
            "email": email,
            "phone": address.get("phone", "") if address else "",
            "currency": totals.currency,
            "prices_include_tax": totals.prices_include_tax,
            "subtotal": totals.subtotal,
            "discount": totals.discount,
            "shipping": totals.shipping,
            "tax": totals.tax,
            "total": totals.total,
            "shipping_address": address,
            "billing_address": address,
            "shipping_method_code": offer.shipping_method.code,
            "shipping_method_name": offer.shipping_method.name,
            "payment_method": gateway.code,
            "voucher_code": offer.voucher.code if offer.voucher else "",
            "customer_note": (note or "").strip()[:1000],
            "language": language or "en",
            "idempotency_key": key,
            "expires_at": (
                timezone.now() + timedelta(minutes=settings.MALLKIT_UNPAID_ORDER_MINUTES)
                if gateway.is_online
                else None
            ),
        }
        for attempt in range(3):
            try:
                return _write_order(
                    fields=fields,
                    lines=lines,
                    offer=offer,
                    gateway=gateway,
                    customer=customer,
                    after_place=after_place,
                    return_url=return_url,
                )
            except IntegrityError:
                # A taken order number (32**7 of them) is drawn again; a taken key is a replay.
                taken = key and Order.objects.filter(idempotency_key=key).exists()
                if taken or attempt == 2:
                    raise
    except (DomainError, IntegrityError):
        existing = Order.objects.filter(idempotency_key=key).first() if key else None
        if existing is not None:
            return existing
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def _write_order(*, fields, lines, offer, gateway, customer, after_place, return_url) -> Order:
    """The writes of place_order, in one transaction: the order, its stock, its voucher and
    its payment. An IntegrityError undoes all of them."""
    totals = offer.totals
    with transaction.atomic():
        order = orders.create_order(
            fields=fields,
            lines=lines,
            actor=customer,
            confirm_note=_("Cash on delivery: ready to pack.") if gateway.confirms_order else None,
        )
        inventory.allocate_stock(
            quantities={line.key: line.quantity for line in totals.lines},
            reference=order.number,
        )
        if offer.voucher:
            promotions.redeem_voucher(
                voucher=offer.voucher,
                order=order,
                customer=customer,
                email=fields["email"],
                amount=totals.discount,
            )
        back = return_url(order) if return_url is not None else ""
        payment = payments.create_payment(
            order=order, gateway_code=gateway.code, return_url=back, cancel_url=back
        )
        if after_place is not None:
            after_place(order, payment)
    return order


def ensure_shipping_method(
    *,
    code: str,
    name: str,
    kind: str = ShippingMethod.Kind.FLAT_RATE,
    price="0",
    free_above=None,
    description: str = "",
    countries: str = "",
    position: int = 0,
) -> ShippingMethod:
    """Create a shipping method unless one with the code exists (for set-up and the demo)."""
    method, _created = ShippingMethod.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "kind": kind,
            "price": price,
            "free_above": free_above,
            "description": description,
            "countries": countries,
            "position": position,
        },
    )
    return method
