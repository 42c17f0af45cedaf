"""E-mails to shoppers (django-tasks): rendered in the order's language, sent, noted on the order.

Tasks take ids, not objects, because a queued task is stored as JSON and may run in another
process; each reads the order afresh when it runs.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task

from mallkit.core.errors import NotFound
from mallkit.core.money import format_amount
from mallkit.orders import services as orders
from mallkit.orders.models import Fulfilment, Order, OrderEvent
from mallkit.payments import gateways
from mallkit.payments import selectors as payments


def order_context(order: Order) -> dict:
    """What every order e-mail shows: lines, totals, address, payment, as display strings."""

    def money(amount) -> str:
        return f"{format_amount(amount, order.currency)} {order.currency}"

    lines = [
        {
            "name": line.product_name,
            "variant": line.variant_label,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": money(line.unit_price),
            # Before the discount, which the totals show on its own line.
            "total": money(line.unit_price * line.quantity),
        }
        for line in order.lines.all()
    ]
    totals = [(_("Subtotal"), money(order.subtotal))]
    if order.discount:
        totals.append((_("Discount"), "−" + money(order.discount)))
    totals.append((_("Shipping"), money(order.shipping)))
    if order.tax:
        label = _("Tax included") if order.prices_include_tax else _("Tax")
        totals.append((label, money(order.tax)))
    address = order.shipping_address or {}
    address_lines = [
        address.get("full_name", ""),
        address.get("line1", ""),
        address.get("line2", ""),
        " ".join(part for part in (address.get("postal_code"), address.get("city")) if part),
        address.get("region", ""),
        address.get("country", ""),
    ]
    try:
        payment_method = str(gateways.get(order.payment_method).name)
    except NotFound:
        payment_method = order.payment_method
    return {
        "order_url": order_url(order),
        "order": order,
        "shop_name": settings.MALLKIT_SHOP_NAME,
        "shop_email": settings.MALLKIT_SHOP_EMAIL,
        "customer_name": address.get("full_name", ""),
        "lines": lines,
        "totals": totals,
        "total": money(order.total),
        "amount_paid": money(order.amount_paid),
        "address_lines": [line for line in address_lines if line],
        "shipping_method": order.shipping_method_name,
        "payment_method": payment_method,
        "instructions": payments.payment_instructions(order=order),
        "is_paid": order.payment_status != Order.PaymentStatus.UNPAID,
    }


def order_url(order: Order) -> str:
    """The order's page for whoever holds the e-mail (a signed link, so guests can open it
    too), or "" when the shop's address (MALLKIT_SITE_URL) is not set."""
    if not settings.MALLKIT_SITE_URL:
        return ""
    # Imported here: checkout.flow queues these e-mails, so it imports this module first.
    from mallkit.checkout.flow import confirmation_path

    return settings.MALLKIT_SITE_URL + confirmation_path(order)


def send_order_email(*, order_id: int, template: str, subject: str, extra_context=None) -> bool:
    """Render emails/<template>.txt and .html in the order's language and send them.

    `subject` is a msgid with %(number)s and %(shop)s, translated here. `extra_context(order)`
    adds what only this e-mail shows. Returns False when the order is gone.
    """
    order = Order.objects.prefetch_related("lines").filter(pk=order_id).first()
    if order is None:
        return False
    with translation.override(order.language or settings.LANGUAGE_CODE):
        context = order_context(order)
        if extra_context is not None:
            context.update(extra_context(order))
        subject = _(subject) % {"number": order.number, "shop": settings.MALLKIT_SHOP_NAME}
        context["subject"] = subject
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [order.email],
        reply_to=[settings.MALLKIT_SHOP_EMAIL],
    )
    message.attach_alternative(html, "text/html")
    message.send()
    orders.record_event(
        order=order,
        type=OrderEvent.Type.EMAIL_SENT,
        message=f"“{subject}” sent to {order.email}.",
        data={"email": template, "to": order.email},
    )
    return True


# Marked for translation here, translated when sent, in the order's language.
ORDER_CONFIRMATION_SUBJECT = gettext_noop("Your order %(number)s at %(shop)s")
PAYMENT_RECEIVED_SUBJECT = gettext_noop("Payment received for order %(number)s")
PAYMENT_FAILED_SUBJECT = gettext_noop("Payment for order %(number)s did not go through")
ORDER_SHIPPED_SUBJECT = gettext_noop("Your order %(number)s is on its way")


@task()
def send_order_confirmation_email(order_id: int) -> bool:
    """Thank the shopper and show what they ordered, with payment instructions if any."""
    return send_order_email(
        order_id=order_id, template="order_confirmation", subject=ORDER_CONFIRMATION_SUBJECT
    )


@task()
def send_payment_received_email(order_id: int) -> bool:
    """Tell the shopper their payment arrived."""
    return send_order_email(
        order_id=order_id, template="payment_received", subject=PAYMENT_RECEIVED_SUBJECT
    )


@task()
def send_payment_failed_email(order_id: int) -> bool:
    """Tell the shopper their payment failed and that they may try again."""
    return send_order_email(
        order_id=order_id, template="payment_failed", subject=PAYMENT_FAILED_SUBJECT
    )


@task()
def send_order_shipped_email(order_id: int, fulfilment_id: int) -> bool:
    """Tell the shopper a parcel left: what is in it, the carrier and where to follow it."""
    fulfilment = (
        Fulfilment.objects.filter(pk=fulfilment_id, order_id=order_id)
        .prefetch_related("lines__order_line")
        .first()
    )
    if fulfilment is None:
        return False

    def shipment(order) -> dict:
        remaining = sum(line.quantity_to_ship for line in order.lines.all())
        return {
            "fulfilment": fulfilment,
            "shipped_lines": [
                {
                    "name": item.order_line.product_name,
                    "variant": item.order_line.variant_label,
                    "quantity": item.quantity,
                }
                for item in fulfilment.lines.all()
            ],
            "units_to_follow": remaining,
        }

    return send_order_email(
        order_id=order_id,
        template="order_shipped",
        subject=ORDER_SHIPPED_SUBJECT,
        extra_context=shipment,
    )
