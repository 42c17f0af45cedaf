"""Orders in every state for the order-management tests: placed through checkout, paid through
the payment services, as the shop itself would do it."""

from decimal import Decimal

from django.contrib.auth.models import Group

from mallkit.accounts import roles
from mallkit.checkout import services as checkout
from mallkit.inventory.models import StockLevel
from mallkit.orders.models import CreditNote, Fulfilment, Invoice, Order, RefundRequest
from mallkit.payments import services as payments
from mallkit.payments.models import Payment, PaymentTransaction
from mallkit.payments.sandbox import services as provider
from tests.factories import ShippingMethodFactory, UserFactory, buyable_variant
from tests.payments.helpers import deliver, event_body

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


def shop_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MALLKIT_TAX_RATE = "0"
    settings.MALLKIT_PRICES_INCLUDE_TAX = False
    settings.MALLKIT_CURRENCY = "USD"
    settings.MALLKIT_SANDBOX_SECRET = "test-sandbox-secret"
    settings.MALLKIT_SANDBOX_WEBHOOK_URL = ""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff(role: str, **kwargs):
    """A member of staff in one of the roles of accounts.roles (by its group name)."""
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


def owner(**kwargs):
    return staff(roles.OWNER, **kwargs)


def place(
    *,
    payment_method="bank_transfer",
    quantities=(2,),
    price="10.00",
    stock=10,
    variants=None,
    customer=None,
    email="ada@example.com",
    **kwargs,
) -> Order:
    """An order of one line per quantity (new variants unless given), shipping 5.00."""
    ShippingMethodFactory(code="standard", price=Decimal("5.00"), free_above=None)
    variants = variants or [buyable_variant(price=price, stock=stock) for _ in quantities]
    order = checkout.place_order(
        items={
            variant.pk: quantity for variant, quantity in zip(variants, quantities, strict=True)
        },
        email=customer.email if customer else email,
        shipping_address=ADDRESS,
        shipping_method_code="standard",
        payment_method=payment_method,
        customer=customer,
        **kwargs,
    )
    payments.start_payment(payment=Payment.objects.get(order=order), return_url="/back/")
    return Order.objects.get(pk=order.pk)


def pay_online(order: Order) -> Order:
    """Pay a sandbox order on the provider's page, then its webhook arrives."""
    payment = Payment.objects.get(order=order)
    charge = provider.open_charge(reference=payment.reference)
    provider.pay(charge=charge, card_number="4242424242424242")
    deliver(event_body(payment, charge=charge.charge_id))
    return Order.objects.get(pk=order.pk)


def snapshot(order: Order) -> dict:
    """Everything an action could change about an order, its stock and its money."""
    order = Order.objects.get(pk=order.pk)
    variant_ids = [line.variant_id for line in order.lines.all()]
    return {
        "order": {
            field.attname: getattr(order, field.attname)
            for field in Order._meta.concrete_fields
            if field.attname != "updated_at"
        },
        "lines": list(order.lines.values()),
        "events": list(order.events.values_list("type", "message")),
        "stock": list(
            StockLevel.objects.filter(variant_id__in=variant_ids)
            .order_by("variant_id")
            .values_list("variant_id", "on_hand", "allocated")
        ),
        "payments": list(
            Payment.objects.filter(order=order).values_list("status", "amount_refunded")
        ),
        "transactions": PaymentTransaction.objects.filter(payment__order=order).count(),
        "fulfilments": Fulfilment.objects.filter(order=order).count(),
        "invoices": Invoice.objects.filter(order=order).count(),
        "credit_notes": CreditNote.objects.filter(order=order).count(),
        "refund_requests": list(RefundRequest.objects.filter(order=order).values_list("status")),
    }
