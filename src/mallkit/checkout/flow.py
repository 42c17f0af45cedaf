"""Placing an order and starting its payment, the same way for the checkout pages and the API.

The order is placed all or nothing (with the cart emptied in the same transaction); only then,
outside that transaction, is the payment started, because a gateway may be slow or remote (a
method that starts locally, such as cash on delivery, is started inside it instead). The
confirmation e-mail goes out once: only for the request that created the order, never for a
replay of the same idempotency key.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from mallkit.cart.services import clear_cart
from mallkit.notifications import services as notifications
from mallkit.orders import selectors as orders
from mallkit.orders.models import Order
from mallkit.payments import selectors as payment_selectors
from mallkit.payments import services as payments

from . import services as checkout


@dataclass(frozen=True)
class Placed:
    order: Order
    payment: object | None
    #: False when an earlier request with the same idempotency key placed the order.
    created: bool


def confirmation_path(order: Order, *, signed: bool = True) -> str:
    """The order's confirmation page. Signed, it opens for whoever holds the link (a guest back
    from the payment page, an API client's shopper); unsigned, only for the order's member."""
    url = reverse("checkout:complete", kwargs={"number": order.number})
    if not signed:
        return url
    return f"{url}?{urlencode({'token': orders.order_link_token(order=order)})}"


def place_and_pay(
    *,
    items: dict[int, int],
    cart,
    email: str,
    shipping_address: dict | None,
    shipping_method_code: str,
    payment_method: str,
    customer=None,
    voucher_code: str = "",
    idempotency_key: str = "",
    note: str = "",
    language: str = "en",
    return_url: Callable[[Order], str],
) -> Placed:
    """Place the order, then start its payment with `return_url(order)` as the way back.

    Raises what checkout.services.place_order raises; then nothing was written.
    """
    created = []

    def after_place(order, payment):
        # Runs inside place_order's transaction and only when it creates the order.
        if cart is not None:
            clear_cart(cart=cart)
        created.append(payment)

    order = checkout.place_order(
        items=items,
        email=email,
        shipping_address=shipping_address,
        shipping_method_code=shipping_method_code,
        payment_method=payment_method,
        customer=customer,
        voucher_code=voucher_code,
        idempotency_key=idempotency_key,
        note=note,
        language=language,
        after_place=after_place,
        return_url=return_url,
    )
    # The payment just opened (with its order in memory), or a replay's from the database.
    payment = created[0] if created else payment_selectors.order_payment(order=order)
    if payment is not None:
        # A replay starts nothing new: start_payment returns a started payment unchanged, and
        # it starts one left unstarted by a request that broke off after placing the order.
        if not payment.started:
            back = return_url(order)
            payment = payments.start_payment(payment=payment, return_url=back, cancel_url=back)
        if payment.status != payment.Status.PENDING or not created:
            # The gateway settled it at once (the order moved on), or another request may have.
            order.refresh_from_db()
    if created:
        notifications.send_order_confirmation(order=order)
    return Placed(order=order, payment=payment, created=bool(created))
