"""Bar charts drawn on the server as inline SVG (LEDG-3): no JavaScript library, readable without
styles, with a title, a description and a text label on every bar for assistive technologies.

`bar_chart` computes the geometry; the template billing/_bar_chart.html draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

HEIGHT = 220
TOP = 24  # room for the value above the tallest bar
BOTTOM = 36  # room for the month labels
LEFT = 12
SLOT = 44  # horizontal room per bar
BAR = 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the axis label (short month)
    title: str  # the full text read out: "March 2026: 12"
    value_text: str
    text_x: float
    value_y: float
    label_y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]


def bar_chart(
    values: Sequence, labels: Sequence[str], titles: Sequence[str], fmt: Callable[[object], str] = str
) -> BarChart:
    """One bar per value; a negative value (more credited than billed) draws no bar but keeps its label."""
    plot = HEIGHT - TOP - BOTTOM
    peak = max([Decimal(str(v)) for v in values] + [Decimal(0)])
    bars = []
    for index, (value, label, title) in enumerate(zip(values, labels, titles, strict=True)):
        amount = max(Decimal(str(value)), Decimal(0))
        height = float(amount / peak * plot) if peak else 0.0
        x = LEFT + index * SLOT + (SLOT - BAR) / 2
        y = TOP + plot - height
        text = fmt(value)
        bars.append(
            Bar(
                x=x,
                y=round(y, 1),
                width=BAR,
                height=round(height, 1),
                label=label,
                title=f"{title}: {text}",
                value_text=text,
                text_x=x + BAR / 2,
                value_y=round(y - 5, 1),
                label_y=HEIGHT - BOTTOM + 16,
            )
        )
    return BarChart(width=LEFT * 2 + SLOT * len(bars), height=HEIGHT, baseline=TOP + plot, bars=bars)
