"""Small bar charts drawn on the server as SVG (``templates/chart.html``): no JavaScript, and a
text summary for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 600
HEIGHT = 120
AXIS = 14
HEADROOM = 14
"""Space above the tallest bar for the "max" label."""


@dataclass(frozen=True)
class Bar:
    """One bar: its box in the SVG's coordinates, and the value it stands for."""

    x: float
    y: float
    width: float
    height: float
    value: int


@dataclass(frozen=True)
class Chart:
    """A bar chart laid out for ``chart.html``."""

    bars: list[Bar]
    width: int
    height: int
    baseline: int
    total: int
    top: int


def bar_chart(values: Sequence[int]) -> Chart:
    """Lay out ``values`` (oldest first) as bars scaled to the largest one."""
    slot = WIDTH / max(1, len(values))
    top = max(values, default=0)
    baseline = HEIGHT - AXIS
    scale = (baseline - HEADROOM) / (top or 1)
    bars = [
        Bar(
            x=round(index * slot + 1, 1),
            y=round(baseline - value * scale, 1),
            width=round(max(slot - 2, 1), 1),
            height=round(value * scale, 1),
            value=value,
        )
        for index, value in enumerate(values)
    ]
    return Chart(bars, WIDTH, HEIGHT, baseline, sum(values), top)
