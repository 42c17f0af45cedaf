"""Voucher services: checking a code and counting its uses without ever exceeding a limit."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mallkit.core.errors import Conflict, ValidationFailed

from .models import Voucher, VoucherRedemption


class VoucherNotValid(ValidationFailed):
    """The voucher code cannot be used."""

    code = "voucher_invalid"


class VoucherUsedUp(Conflict):
    """The voucher has no uses left."""

    code = "voucher_used_up"


def _uses_by(voucher: Voucher, *, customer, email: str) -> int:
    who = Q(email__iexact=email)
    if customer is not None:
        who |= Q(customer=customer)
    return VoucherRedemption.objects.filter(who, voucher=voucher).count()


def find_voucher(
    *, code: str, subtotal: Decimal, customer=None, email: str = "", now=None
) -> Voucher:
    """Return the usable voucher for `code` or raise VoucherNotValid saying why."""
    now = now or timezone.now()
    code = (code or "").strip()
    voucher = Voucher.objects.filter(code__iexact=code, is_active=True).first() if code else None
    if voucher is None:
        raise VoucherNotValid(
            _("This voucher code is not valid."),
            errors={"voucher_code": [_("This voucher code is not valid.")]},
        )
    if (voucher.starts_at and voucher.starts_at > now) or (
        voucher.ends_at and voucher.ends_at <= now
    ):
        raise VoucherNotValid(
            _("This voucher is not valid at the moment."),
            errors={"voucher_code": [_("This voucher is not valid at the moment.")]},
        )
    if subtotal < voucher.minimum_spend:
        message = _("This voucher needs a minimum spend of %(amount)s.") % {
            "amount": voucher.minimum_spend
        }
        raise VoucherNotValid(message, errors={"voucher_code": [message]})
    if voucher.usage_limit is not None and voucher.times_used >= voucher.usage_limit:
        raise VoucherUsedUp(
            _("This voucher has been used up."),
            errors={"voucher_code": [_("This voucher has been used up.")]},
        )
    if voucher.per_customer_limit is not None and (customer is not None or email):
        if _uses_by(voucher, customer=customer, email=email) >= voucher.per_customer_limit:
            raise VoucherUsedUp(
                _("You have already used this voucher."),
                errors={"voucher_code": [_("You have already used this voucher.")]},
            )
    return voucher


def redeem_voucher(*, voucher: Voucher, order, customer, email: str, amount: Decimal) -> None:
    """Count one use of the voucher for the order, inside the order's transaction.

    The voucher row is locked so the per-customer count cannot race, and the total count moves
    with a conditional UPDATE so the limit holds whatever the engine.
    """
    with transaction.atomic():
        voucher = Voucher.objects.select_for_update().get(pk=voucher.pk)
        if voucher.per_customer_limit is not None:
            if _uses_by(voucher, customer=customer, email=email) >= voucher.per_customer_limit:
                raise VoucherUsedUp(
                    _("You have already used this voucher."),
                    errors={"voucher_code": [_("You have already used this voucher.")]},
                )
        limited = Voucher.objects.filter(pk=voucher.pk)
        if voucher.usage_limit is not None:
            limited = limited.filter(times_used__lt=voucher.usage_limit)
        if not limited.update(times_used=F("times_used") + 1):
            raise VoucherUsedUp(
                _("This voucher has been used up."),
                errors={"voucher_code": [_("This voucher has been used up.")]},
            )
        VoucherRedemption.objects.create(
            voucher=voucher, order=order, customer=customer, email=email, amount=amount
        )


def release_voucher(*, order) -> None:
    """Give a use back when an order is cancelled or expires."""
    with transaction.atomic():
        redemption = VoucherRedemption.objects.filter(order=order).first()
        if redemption is None:
            return
        Voucher.objects.filter(pk=redemption.voucher_id, times_used__gt=0).update(
            times_used=F("times_used") - 1
        )
        redemption.delete()


def ensure_voucher(
    *,
    code: str,
    kind: str,
    value,
    description: str = "",
    minimum_spend="0",
    per_customer_limit=None,
    usage_limit=None,
) -> Voucher:
    """Create a voucher unless one with the code exists (for set-up and the demo)."""
    voucher = Voucher.objects.filter(code__iexact=code).first()
    if voucher is None:
        voucher = Voucher.objects.create(
            code=code,
            kind=kind,
            value=value,
            description=description,
            minimum_spend=minimum_spend,
            per_customer_limit=per_customer_limit,
            usage_limit=usage_limit,
        )
    return voucher
