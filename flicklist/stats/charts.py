"""Bar chart geometry for server-drawn SVG: plain numbers, no styles (the CSP)."""

from dataclasses import dataclass

WIDTH = 640
HEIGHT = 240
LEFT = 40  # room for the axis numbers
RIGHT = 8
TOP = 24  # room for the value above the tallest bar
BOTTOM = 32  # room for the labels under the bars
GAP = 0.25  # share of each slot left empty between bars


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Gridline:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    gridlines: list[Gridline]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def nice_ceiling(value: int) -> int:
    """A round top for the axis: 1, 2, 5, 10, 20, 50... at least `value`."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(items: list[tuple[str, int]]) -> BarChart:
    """Bars for (label, value) pairs, scaled so the axis top is a round number."""
    top = nice_ceiling(max((value for _, value in items), default=0) or 1)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(items), 1)
    bars = []
    for index, (label, value) in enumerate(items):
        height = plot_height * value / top
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(LEFT + slot * index + slot * GAP / 2, 1),
                y=round(HEIGHT - BOTTOM - height, 1),
                width=round(slot * (1 - GAP), 1),
                height=round(height, 1),
            )
        )
    # A middle line only where it falls on a whole number (not 2 of 5).
    levels = [0, top // 2, top] if top % 2 == 0 else [0, top]
    gridlines = [
        Gridline(value=level, y=round(HEIGHT - BOTTOM - plot_height * level / top, 1))
        for level in levels
    ]
    return BarChart(bars=bars, gridlines=gridlines)
