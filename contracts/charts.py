"""The objectives chart of the Contract page (CON-1): bars drawn on the server as inline SVG, one per
period, with the target as a dashed line; no JavaScript, a title, a description and a text label
on every bar for assistive technologies (as billing's consumption chart, LEDG-3)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

HEIGHT = 220
TOP = 24
BOTTOM = 36
LEFT = 12
SLOT = 56
BAR = 32


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    title: str
    value_text: str
    text_x: float
    value_y: float
    label_y: float
    reached: bool


@dataclass(frozen=True)
class ObjectiveChart:
    width: int
    height: int
    baseline: float
    target_y: float
    target_text: str
    bars: list[Bar]


def objective_chart(
    values: Sequence[Decimal],
    labels: Sequence[str],
    titles: Sequence[str],
    target: Decimal,
    fmt: Callable[[Decimal], str] = str,
) -> ObjectiveChart:
    """One bar per period, scaled so that both the highest bar and the target fit."""
    plot = HEIGHT - TOP - BOTTOM
    peak = max([Decimal(v) for v in values] + [target, Decimal(1)])
    bars = []
    for index, (value, label, title) in enumerate(zip(values, labels, titles, strict=True)):
        amount = max(Decimal(value), Decimal(0))
        height = float(amount / peak * plot)
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
                reached=amount >= target,
            )
        )
    width = max(LEFT * 2 + SLOT * len(bars), 160)
    target_y = round(TOP + plot - float(target / peak * plot), 1)
    return ObjectiveChart(
        width=width, height=HEIGHT, baseline=TOP + plot, target_y=target_y, target_text=fmt(target), bars=bars
    )
