"""Bar charts as geometry for inline SVG, drawn by templates/dashboard/partials/chart.html.

Server-side on purpose: no chart library to ship, nothing to load, and the page's numbers are
in the HTML for screen readers (each bar has a <title>, and a table beside the chart).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import formats

from dashboard.stats import DailySeries

WIDTH = 640
HEIGHT = 220
LEFT = 36  # room for the y-axis numbers
BOTTOM = 28  # room for the day labels
TOP = 10
TICKS = 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    day_labels: list[Label]
    ticks: list[Label]
    gridlines: list[float]
    baseline: float
    plot_left: int
    plot_right: int


def nice_ceiling(value: int) -> int:
    """The top of the y axis: TICKS equal whole steps of 1, 2, 2.5 or 5 times a power of ten,
    the smallest that reaches `value` (so the gridlines read 0, 5, 10, 15, 20 and not 0, 4.75...).
    """
    needed = max(value, 1) / TICKS
    magnitude = 10 ** math.floor(math.log10(needed)) if needed >= 1 else 1
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if step >= needed and step == int(step):
            return int(step) * TICKS
    return math.ceil(needed) * TICKS  # not reached: 10 x magnitude always qualifies


def _scale(top_value: int) -> tuple[Callable[[int], float], float, list[Label]]:
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM

    def height_of(value: int) -> float:
        return round(plot_height * value / top_value, 2)

    values = [n * top_value // TICKS for n in range(TICKS + 1)]
    ticks = [Label(x=LEFT - 6, y=round(baseline - height_of(v), 2), text=str(v)) for v in values]
    return height_of, baseline, ticks


def _day_label(day: dt.date) -> str:
    return formats.date_format(day, "j M")


def stacked(data: DailySeries, series_names: dict[str, str], label_every: int = 1) -> Chart:
    """One bar per day, the series stacked in data.series order from the bottom.

    `label_every` thins the day labels so they stay legible on a phone; every day keeps its
    bar titles and its row in the table.
    """
    top_value = nice_ceiling(max((data.total(day) for day in data.days), default=0))
    height_of, baseline, ticks = _scale(top_value)
    slot = (WIDTH - LEFT) / len(data.days)
    bar_width = round(slot * 0.6, 2)
    bars: list[Bar] = []
    labels: list[Label] = []
    for index, day in enumerate(data.days):
        x = round(LEFT + index * slot + (slot - bar_width) / 2, 2)
        y = baseline
        for series in data.series:
            value = data.value(day, series)
            if not value:
                continue
            height = height_of(value)
            y = round(y - height, 2)
            title = f"{_day_label(day)}: {value} {series_names[series]}"
            bars.append(Bar(x, y, bar_width, height, series, title))
        if (len(data.days) - 1 - index) % label_every == 0:  # always label today
            labels.append(Label(round(x + bar_width / 2, 2), HEIGHT - 8, _day_label(day)))
    return _chart(bars, labels, ticks, baseline)


def grouped(data: DailySeries, series_names: dict[str, str]) -> Chart:
    """Side-by-side bars per day, one per series."""
    top_value = nice_ceiling(
        max((data.value(day, s) for day in data.days for s in data.series), default=0)
    )
    height_of, baseline, ticks = _scale(top_value)
    slot = (WIDTH - LEFT) / len(data.days)
    bar_width = round(slot * 0.7 / len(data.series), 2)
    bars: list[Bar] = []
    labels: list[Label] = []
    for index, day in enumerate(data.days):
        group_left = LEFT + index * slot + slot * 0.15
        for position, series in enumerate(data.series):
            value = data.value(day, series)
            height = height_of(value)
            x = round(group_left + position * bar_width, 2)
            title = f"{_day_label(day)}: {value} {series_names[series]}"
            bars.append(Bar(x, round(baseline - height, 2), bar_width, height, series, title))
        labels.append(Label(round(LEFT + index * slot + slot / 2, 2), HEIGHT - 8, _day_label(day)))
    return _chart(bars, labels, ticks, baseline)


def _chart(bars: list[Bar], labels: list[Label], ticks: list[Label], baseline: float) -> Chart:
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        day_labels=labels,
        ticks=ticks,
        gridlines=[tick.y for tick in ticks],
        baseline=baseline,
        plot_left=LEFT,
        plot_right=WIDTH,
    )
