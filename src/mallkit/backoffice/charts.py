"""Charts drawn on the server as SVG, so the dashboard reads without JavaScript.

Only geometry is computed here; the template draws it and the stylesheet colours it (the
site's Content-Security-Policy allows no inline styles, and SVG attributes need none).
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils import formats

WIDTH, HEIGHT = 760, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 12, 28  # room for the axis labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    middle: float  # where the day's label is centred
    label: str  # for the tooltip and screen readers
    day_label: str  # under the axis, every few days


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


def _nice_step(peak: Decimal) -> Decimal:
    """A round step (1, 2 or 5 × a power of ten) giving about four gridlines up to the peak."""
    raw = peak / 4
    magnitude = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for factor in (1, 2, 5, 10):
        if raw <= magnitude * factor:
            return magnitude * factor
    return magnitude * 10  # pragma: no cover


def sales_bars(days, *, currency: str) -> dict:
    """Bars of daily sales (orders.report_selectors.daily_sales) inside a WIDTH × HEIGHT box."""
    peak = max((day.sales for day in days), default=Decimal(0))
    step = _nice_step(peak) if peak > 0 else Decimal(1)
    top = step * max(1, (peak / step).to_integral_value(rounding=ROUND_CEILING))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = float(day.sales / top) * plot_height if top else 0
        date = formats.date_format(day.day, "M j")
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.15, 1),
                y=round(TOP + plot_height - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                middle=round(LEFT + index * slot + slot / 2, 1),
                label=f"{date}: {day.sales} {currency}, {day.orders}",
                day_label=date if index % 5 == 0 or index == len(days) - 1 else "",
            )
        )
    ticks = []
    value = Decimal(0)
    while value <= top:
        ticks.append(
            Tick(
                y=round(TOP + plot_height - float(value / top) * plot_height, 1),
                label=f"{value:,.0f}",
            )
        )
        value += step
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "ticks": ticks,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "baseline": TOP + plot_height,
        "label_y": HEIGHT - 8,
        "total": sum((day.sales for day in days), Decimal(0)),
        "orders": sum(day.orders for day in days),
    }
