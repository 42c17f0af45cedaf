"""What the sandbox provider does: open a charge, take a card, confirm, refund, report.

Every change of a charge is one conditional UPDATE from the states it may start from, so two tabs
paying the same reference cannot both succeed. Each outcome is reported to the shop as a webhook
event, delivered by a task after the change is committed.
"""

import json
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mallkit.core.errors import Conflict, NotFound
from mallkit.core.money import added, format_amount
from mallkit.payments import selectors

from .models import SandboxCharge, SandboxRefund
from .tasks import deliver_event

SUCCEED, DECLINE, CONFIRM = "succeed", "decline", "confirm"
# The sandbox's test cards, as printed on its payment page.
TEST_CARDS = {
    "4242424242424242": SUCCEED,
    "4000000000000002": DECLINE,
    "4000000000003220": CONFIRM,
}
GATEWAY_CODE = "sandbox"


class SandboxRefusal(Conflict):
    """The sandbox provider refused the request."""

    code = "sandbox_refused"


class AlreadyPaid(Conflict):
    """This payment has already been made."""

    code = "already_paid"


class PaymentClosed(Conflict):
    """This payment session is no longer open."""

    code = "payment_closed"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def open_charge(*, reference: str, return_url: str = "", cancel_url: str = "") -> SandboxCharge:
    """The charge for a shop payment reference, opened with the amount the shop asks for.

    Raises NotFound for a reference the shop does not know as a sandbox payment.
    """
    wanted = selectors.payment_to_collect(reference=reference, gateway=GATEWAY_CODE)
    if wanted is None:
        raise NotFound("There is no such payment.", code="unknown_payment")
    charge = SandboxCharge.objects.filter(reference=reference).first()
    if charge is None:
        try:
            with transaction.atomic():
                charge = SandboxCharge.objects.create(
                    reference=reference,
                    charge_id=new_id("ch_sbx"),
                    amount=wanted.amount,
                    currency=wanted.currency,
                    description=wanted.description[:200],
                    return_url=return_url,
                    cancel_url=cancel_url,
                )
        except IntegrityError:  # the same page opened twice at once
            charge = SandboxCharge.objects.get(reference=reference)
    elif charge.status != SandboxCharge.Status.SUCCEEDED and (return_url or cancel_url):
        # The shop may start the same payment again with a new address to come back to.
        changes = {"return_url": return_url or charge.return_url}
        changes["cancel_url"] = cancel_url or charge.cancel_url
        SandboxCharge.objects.filter(pk=charge.pk).update(**changes, updated_at=timezone.now())
        charge.refresh_from_db()
    if charge.status != SandboxCharge.Status.SUCCEEDED and not wanted.is_open:
        raise PaymentClosed("This payment can no longer be made; return to the shop.")
    return charge


def _move(charge: SandboxCharge, *, sources, **changes) -> SandboxCharge:
    updated = SandboxCharge.objects.filter(pk=charge.pk, status__in=sources).update(
        **changes, updated_at=timezone.now()
    )
    if not updated:
        charge.refresh_from_db()
        if charge.status == SandboxCharge.Status.SUCCEEDED:
            raise AlreadyPaid()
        raise SandboxRefusal("There is nothing to confirm for this payment.")
    charge.refresh_from_db()
    return charge


def pay(*, charge: SandboxCharge, card_number: str) -> str:
    """Charge a test card: returns "succeed", "decline" or "confirm" (an extra step is needed)."""
    behaviour = TEST_CARDS.get(card_number)
    if behaviour is None:
        raise SandboxRefusal("The sandbox only takes its test cards.")
    open_states = [
        SandboxCharge.Status.PENDING,
        SandboxCharge.Status.DECLINED,
        SandboxCharge.Status.REQUIRES_CONFIRMATION,
    ]
    with transaction.atomic():
        if behaviour == SUCCEED:
            charge = _move(
                charge,
                sources=open_states,
                status=SandboxCharge.Status.SUCCEEDED,
                card_last4=card_number[-4:],
            )
            _report_payment(charge, succeeded=True)
        elif behaviour == DECLINE:
            charge = _move(
                charge,
                sources=open_states,
                status=SandboxCharge.Status.DECLINED,
                card_last4=card_number[-4:],
            )
            _report_payment(charge, succeeded=False, message="The card was declined.")
        else:
            _move(
                charge,
                sources=open_states,
                status=SandboxCharge.Status.REQUIRES_CONFIRMATION,
                card_last4=card_number[-4:],
            )
    return behaviour


def confirm(*, charge: SandboxCharge, approve: bool) -> SandboxCharge:
    """The shopper's answer to the extra confirmation step."""
    with transaction.atomic():
        charge = _move(
            charge,
            sources=[SandboxCharge.Status.REQUIRES_CONFIRMATION],
            status=SandboxCharge.Status.SUCCEEDED if approve else SandboxCharge.Status.DECLINED,
        )
        if approve:
            _report_payment(charge, succeeded=True)
        else:
            _report_payment(
                charge, succeeded=False, message="The cardholder did not confirm the payment."
            )
    return charge


def refund_charge(*, reference: str, amount: Decimal, idempotency_key: str = "") -> SandboxRefund:
    """Give back part or all of a paid charge; the same idempotency key refunds only once.

    `reference` is the charge id or the shop's payment reference.
    """
    if idempotency_key:
        done = (
            SandboxRefund.objects.select_related("charge")
            .filter(idempotency_key=idempotency_key)
            .first()
        )
        if done is not None:
            return done
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise SandboxRefusal("A refund must be a positive amount.")
    with transaction.atomic():
        charge = (
            SandboxCharge.objects.select_for_update()
            .filter(Q(charge_id=reference) | Q(reference=reference))
            .first()
        )
        if charge is None or charge.status != SandboxCharge.Status.SUCCEEDED:
            raise SandboxRefusal("There is no paid charge to refund.")
        after = added("amount_refunded", amount, charge.currency)
        updated = SandboxCharge.objects.filter(pk=charge.pk, amount__gte=after).update(
            amount_refunded=after, updated_at=timezone.now()
        )
        if not updated:
            raise SandboxRefusal("The refund is larger than what is left on the charge.")
        charge.refresh_from_db()
        refund = SandboxRefund.objects.create(
            charge=charge,
            refund_id=new_id("re_sbx"),
            amount=amount,
            idempotency_key=idempotency_key or None,
        )
        _report(
            charge,
            "refund.succeeded",
            amount=amount,
            refund=refund.refund_id,
            amount_refunded=format_amount(charge.amount_refunded, charge.currency),
        )
    return refund


def _report_payment(charge: SandboxCharge, *, succeeded: bool, message: str = "") -> None:
    if succeeded:
        _report(charge, "payment.succeeded", amount=charge.amount)
    else:
        _report(charge, "payment.failed", amount=charge.amount, message=message)


def _report(charge: SandboxCharge, event_type: str, *, amount: Decimal, **extra) -> None:
    """Tell the shop what happened, once this change is committed."""
    event = {
        "id": new_id("evt"),
        "type": event_type,
        "created": int(timezone.now().timestamp()),
        "data": {
            "reference": charge.reference,
            "amount": format_amount(amount, charge.currency),
            "currency": charge.currency,
            "charge": charge.charge_id,
            **extra,
        },
    }
    body = json.dumps(event, separators=(",", ":"))
    transaction.on_commit(lambda: deliver_event.enqueue(body))
