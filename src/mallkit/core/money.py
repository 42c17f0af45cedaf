"""Money helpers: every rounding of an amount goes through `quantize`."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db.models import DecimalField, F, Value
from django.db.models.functions import Round

# Minor units per ISO 4217 currency; anything not listed has two decimal places.
MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}
ZERO = Decimal("0")


def default_currency() -> str:
    return settings.MALLKIT_CURRENCY


def minor_unit(currency: str | None = None) -> Decimal:
    places = MINOR_UNITS.get((currency or default_currency()).upper(), 2)
    return Decimal(1).scaleb(-places)


def quantize(amount, currency: str | None = None) -> Decimal:
    """Round an amount half-up to the currency's minor unit."""
    return Decimal(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def parse_amount(value, currency: str | None = None) -> Decimal:
    """Parse user input into a non-negative amount with no more precision than the currency has.

    Raises ValueError with a readable message; floats are refused because they are not exact.
    """
    if isinstance(value, float):
        raise ValueError("Amounts must be given as decimal strings, not floating-point numbers.")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"“{value}” is not a valid amount.") from None
    if not amount.is_finite():
        raise ValueError(f"“{value}” is not a valid amount.")
    if amount < 0:
        raise ValueError("An amount cannot be negative.")
    if amount != quantize(amount, currency):
        raise ValueError("The amount has more decimal places than the currency allows.")
    return quantize(amount, currency)


def format_amount(amount, currency: str | None = None) -> str:
    """Return an amount as the decimal string the API and exports use ("129.00")."""
    return str(quantize(amount, currency))


def percent_of(amount, percent, currency: str | None = None) -> Decimal:
    """Return `amount` changed by `percent` percent (e.g. -10 for ten percent off), rounded."""
    return quantize(Decimal(amount) * (Decimal(100) + Decimal(percent)) / Decimal(100), currency)


def added(field: str, amount, currency: str | None = None):
    """A database expression for `field + amount` (amount may be negative), rounded to the
    currency's minor unit.

    SQLite does decimal arithmetic in binary floating point (70.20 + 30.10 gives
    100.30000000000001), so conditional updates and CHECK constraints on sums must compare
    rounded values; on PostgreSQL the rounding changes nothing.
    """
    places = MINOR_UNITS.get((currency or default_currency()).upper(), 2)
    return Round(
        F(field) + Value(Decimal(amount)),
        places,
        output_field=DecimalField(max_digits=12, decimal_places=places),
    )
