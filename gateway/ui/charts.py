"""Server-rendered inline SVG bar charts for /ui: no script, no build step.

A chart is one series of (label, value) bars, or stacked bars of a few named
series; the y axis has four grid lines with their values, the x axis the
labels (thinned out so they never overlap).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 760, 230
LEFT, RIGHT, TOP, BOTTOM = 78, 12, 30, 40
COLOURS = ("#1d5fa8", "#f5b83d", "#1d7a46", "#b3261e", "#7b4bb3", "#8a9bb0")  # last one: "other"
MAX_X_LABELS = 12


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[Decimal | int]  # one per bar, aligned with the chart's labels


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series],
              fmt: Callable[[Decimal | int], str]) -> SafeString:
    """Bars (stacked when there are several series) with a title, axes and a legend."""
    totals = [sum((s.values[i] for s in series), 0) for i in range(len(labels))]
    top = _nice_ceiling(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<svg class="ui-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<text class="ui-chart-title" x="{LEFT}" y="18">{escape(title)}</text>']
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(f'<line class="ui-chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="ui-chart-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(fmt(value))}</text>')
    if not labels:
        parts.append(f'<text class="ui-chart-axis" x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" '
                     f'text-anchor="middle">No requests in this period</text>')
    slot = plot_w / max(len(labels), 1)
    every = max(1, -(-len(labels) // MAX_X_LABELS))
    for i, label in enumerate(labels):
        x = LEFT + i * slot + slot * 0.15
        base = TOP + plot_h
        for colour, s in zip(_colours(len(series)), series):
            value = s.values[i]
            if not value or not top:
                continue
            height = plot_h * float(value) / float(top)
            base -= height
            tip = f"{label}: {s.name + ' ' if len(series) > 1 else ''}{fmt(value)}"
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
                         f'fill="{colour}"><title>{escape(tip)}</title></rect>')
        if i % every == 0:
            parts.append(f'<text class="ui-chart-axis" x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<line class="ui-chart-base" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" '
                 f'y2="{TOP + plot_h}"/>')
    if len(series) > 1:
        x = LEFT
        for colour, s in zip(_colours(len(series)), series):
            parts.append(f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>'
                         f'<text class="ui-chart-axis" x="{x + 14}" y="{HEIGHT - 5}">{escape(s.name[:28])}</text>')
            x += 24 + 7 * min(len(s.name), 28)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every piece of text above went through escape()


def day_labels(days: Sequence[dt.date]) -> list[str]:
    return [day.strftime("%b %d") for day in days]


def _colours(count: int) -> list[str]:
    """The palette in order; with a full stack the last series ("other") is grey."""
    if count >= len(COLOURS):
        return list(COLOURS[:count - 1]) + [COLOURS[-1]]
    return list(COLOURS[:count])


def _nice_ceiling(value: Decimal | int) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 x 10^n at or above value, so grid lines fall on round numbers."""
    if not value or value <= 0:
        return Decimal(1)
    value = Decimal(value)
    magnitude = Decimal(10) ** (value.adjusted())
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= magnitude * step:
            return magnitude * step
    return magnitude * 10
