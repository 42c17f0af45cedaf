"""Building orders with payments and the webhooks a provider would send about them."""

import json
import secrets
from decimal import Decimal

from django.conf import settings

from mallkit.checkout import services as checkout
from mallkit.payments import services as payments
from mallkit.payments.gateways.sandbox import sign
from mallkit.payments.models import Payment
from tests.factories import ShippingMethodFactory, buyable_variant

ADDRESS = {
    "full_name": "Ada Lovelace",
    "phone": "+44 20 7946 0000",
    "line1": "12 Analytical Row",
    "line2": "",
    "city": "London",
    "region": "",
    "postal_code": "N1 7GU",
    "country": "GB",
}


def place_order(
    *, price="124.00", quantity=1, payment_method="sandbox", language="en", start=True, **kwargs
):
    """An order for one variant with standard shipping (5.00): total = price × quantity + 5."""
    ShippingMethodFactory(code="standard", price=Decimal("5.00"), free_above=None)
    variant = buyable_variant(price=price, stock=10, name="Linen Shirt")
    order = checkout.place_order(
        items={variant.pk: quantity},
        email=kwargs.pop("email", "ada@example.com"),
        shipping_address=ADDRESS,
        shipping_method_code="standard",
        payment_method=payment_method,
        language=language,
        **kwargs,
    )
    payment = Payment.objects.get(order=order)
    if start:
        payment = payments.start_payment(payment=payment, return_url=f"/orders/{order.number}/")
    return order, payment


def event_body(
    payment,
    *,
    type="payment.succeeded",
    amount=None,
    currency=None,
    event_id=None,
    **data,
) -> bytes:
    """A sandbox event about a payment, as raw JSON bytes."""
    event = {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "type": type,
        "data": {
            "reference": payment.reference,
            "amount": str(payment.amount if amount is None else amount),
            "currency": currency or payment.currency,
            **data,
        },
    }
    return json.dumps(event).encode()


def signed_headers(body: bytes, *, secret=None, timestamp=None) -> dict:
    secret = settings.MALLKIT_SANDBOX_SECRET if secret is None else secret
    return {"Mallkit-Signature": sign(body, secret=secret, timestamp=timestamp)}


def deliver(body: bytes, **kwargs):
    """Hand a signed sandbox event to the shop, as the webhook endpoint would."""
    return payments.handle_webhook(
        gateway_code="sandbox", headers=signed_headers(body, **kwargs), body=body
    )
