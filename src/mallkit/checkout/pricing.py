"""The one pricing function: every total a shopper, an order or the API sees comes from here.

Rounding rule (per line): each line's discount share and tax are rounded half-up to the
currency's minor unit on that line, and the order's figures are sums of rounded lines, so the
lines always add up to the totals exactly.

- Goods: unit price × quantity per line (prices are entered with or without tax, a setting).
- Discount: a voucher's percentage of (or fixed amount up to) the goods total, shared among the
  lines in proportion to their amounts; the rounding remainder goes to the largest line.
- Tax: per line at its rate, on the line after its discount. With prices that include tax the tax
  is the part of the price already inside it (amount × rate / (100 + rate)); otherwise it is
  added on top (amount × rate / 100).
- Shipping: the method's price, or nothing when the goods after discount reach its "free above"
  amount; taxed at the shop-wide rate in the same way.
- Total: goods − discount + shipping, plus tax when prices exclude it.
"""

from dataclasses import dataclass
from decimal import Decimal

from mallkit.core.money import ZERO, quantize

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Item:
    """A line to price: what the pricing needs to know, nothing more."""

    key: object
    unit_price: Decimal
    quantity: int
    tax_rate: Decimal = ZERO


@dataclass(frozen=True)
class Discount:
    kind: str  # "percentage" or "fixed"
    value: Decimal


@dataclass(frozen=True)
class PricedLine:
    key: object
    unit_price: Decimal
    quantity: int
    amount: Decimal
    discount: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    prices_include_tax: bool


def _tax(amount: Decimal, rate: Decimal, included: bool, currency: str) -> Decimal:
    if not rate:
        return quantize(ZERO, currency)
    if included:
        return quantize(amount * rate / (HUNDRED + rate), currency)
    return quantize(amount * rate / HUNDRED, currency)


def discount_amount(discount: Discount | None, subtotal: Decimal, currency: str) -> Decimal:
    """The discount a voucher gives on a goods total, never more than the total."""
    if discount is None or subtotal <= 0:
        return quantize(ZERO, currency)
    if discount.kind == "percentage":
        value = quantize(subtotal * min(discount.value, HUNDRED) / HUNDRED, currency)
    else:
        value = quantize(discount.value, currency)
    return min(max(value, ZERO), subtotal)


def compute_totals(
    *,
    items: list[Item],
    currency: str,
    prices_include_tax: bool,
    discount: Discount | None = None,
    shipping_price: Decimal = ZERO,
    shipping_free_above: Decimal | None = None,
    shipping_tax_rate: Decimal = ZERO,
) -> Totals:
    """Price a basket. Pure: reads no settings and no database."""
    amounts = [quantize(item.unit_price * item.quantity, currency) for item in items]
    subtotal = quantize(sum(amounts, ZERO), currency)
    total_discount = discount_amount(discount, subtotal, currency)

    shares = [ZERO] * len(items)
    if total_discount and subtotal:
        shares = [quantize(total_discount * amount / subtotal, currency) for amount in amounts]
        remainder = total_discount - sum(shares, ZERO)
        if remainder:
            largest = max(range(len(items)), key=lambda i: amounts[i])
            shares[largest] += remainder

    lines = []
    for item, amount, share in zip(items, amounts, shares, strict=True):
        taxable = amount - share
        tax = _tax(taxable, item.tax_rate, prices_include_tax, currency)
        line_total = taxable if prices_include_tax else taxable + tax
        lines.append(
            PricedLine(
                key=item.key,
                unit_price=quantize(item.unit_price, currency),
                quantity=item.quantity,
                amount=amount,
                discount=share,
                tax_rate=item.tax_rate,
                tax=tax,
                total=line_total,
            )
        )

    goods_after_discount = subtotal - total_discount
    shipping = quantize(shipping_price, currency)
    if shipping_free_above is not None and goods_after_discount >= shipping_free_above:
        shipping = quantize(ZERO, currency)
    shipping_tax = _tax(shipping, shipping_tax_rate, prices_include_tax, currency)

    tax = sum((line.tax for line in lines), ZERO) + shipping_tax
    total = sum((line.total for line in lines), ZERO) + shipping
    if not prices_include_tax:
        total += shipping_tax
    return Totals(
        lines=tuple(lines),
        subtotal=subtotal,
        discount=total_discount,
        shipping=shipping,
        tax=quantize(tax, currency),
        total=quantize(total, currency),
        currency=currency,
        prices_include_tax=prices_include_tax,
    )
