"""Charts as server-rendered SVG: readable without JavaScript, and accessible.

Each chart is one ``<svg role="img">`` labelled by its own ``<title>`` and ``<desc>`` (the
description ends with every value, so a screen reader hears the data), drawn with SVG
presentation attributes only: no inline ``<style>``, no script, nothing fetched, so it
renders the same under any Content-Security-Policy and in a printout. A page shows the
same figures in a table next to each chart (the fallback, and what is copied).

Every text is escaped here; coordinates are written with a dot whatever the reader's
locale; the values' texts (``"44,4 %"``) come formatted by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

INK = "#1a1a1a"
MUTED = "#4d5550"
BAR = "#1b5e20"
GRID = "#c9d3cc"
TARGET = "#a4161a"
FONT = "system-ui, sans-serif"
WIDTH = 320  # user units: about a phone's width, so 13-unit text reads at 13 px there


@dataclass(frozen=True)
class Point:
    """One bar or one point of a line: its label, its value on the chart's scale (None:
    no figure) and the value as the reader reads it."""

    label: str
    value: float | None
    text: str


def _n(value: float) -> str:
    """A coordinate: one decimal, a dot, no exponent."""
    return f"{value:.1f}"


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 13,
          fill: str = INK, weight: str = "normal") -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-family="{FONT}" font-size="{size}" '
        f'fill="{fill}" text-anchor="{anchor}" font-weight="{weight}">{escape(content)}</text>'
    )


def _summary(description: str, points: Sequence[Point]) -> str:
    values = "; ".join(f"{p.label}: {p.text}" for p in points)
    return f"{description} {values}." if values else description


def _svg(chart_id: str, title: str, description: str, height: float, body: list[str]) -> Markup:
    cid = escape(chart_id)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Point],
    *,
    scale_max: float = 100.0,
    target: float | None = None,
    target_text: str = "",
    empty_text: str = "",
) -> Markup:
    """Horizontal bars, one per ``bars`` entry, each label above its bar and the value's
    text after it, on a scale from 0 to ``scale_max``; a dashed line marks ``target``
    (on the same scale) with ``target_text`` above the bars."""
    row, top, value_room = 40.0, 22.0 if target is not None else 4.0, 64.0
    track = WIDTH - value_room
    body: list[str] = []
    if not bars:
        body.append(_text(0, 20, empty_text, fill=MUTED))
        return _svg(chart_id, title, _summary(description, bars), 32, body)
    height = top + row * len(bars) + 4

    def x_of(value: float) -> float:
        share = 0.0 if scale_max <= 0 else max(0.0, min(value / scale_max, 1.0))
        return track * share

    for i, bar in enumerate(bars):
        y = top + row * i
        body.append(_text(0, y + 13, bar.label))
        body.append(
            f'<rect x="0" y="{_n(y + 18)}" width="{_n(track)}" height="14" fill="{GRID}" '
            'fill-opacity="0.35"/>'
        )
        end = 0.0
        if bar.value is not None and math.isfinite(bar.value):
            end = x_of(bar.value)
            body.append(
                f'<rect x="0" y="{_n(y + 18)}" width="{_n(end)}" height="14" fill="{BAR}"/>'
            )
        body.append(_text(track + 4, y + 30, bar.text, weight="bold"))
    if target is not None and math.isfinite(target):
        x = x_of(target)
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 4)}" x2="{_n(x)}" y2="{_n(height)}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="4 3"/>'
        )
        anchor = "end" if x > track / 2 else "start"
        body.append(_text(x, 12, target_text, anchor=anchor, size=12, fill=TARGET))
    return _svg(chart_id, title, _summary(description, bars), height, body)


def nice_ceiling(value: float) -> float:
    """The scale's top for values up to ``value``: the next multiple of 10 (at least 10)
    up to 100, a rounded power-of-ten step above it."""
    if not math.isfinite(value) or value <= 10:
        return 10.0
    if value <= 100:
        return float(math.ceil(value / 10) * 10)
    step = 10 ** math.floor(math.log10(value))
    return float(math.ceil(value / step) * step)


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[Point],
    *,
    target: float | None = None,
    target_text: str = "",
    axis_suffix: str = "%",
    empty_text: str = "",
) -> Markup:
    """A line through ``points`` (left to right, a gap where a value is None) over a scale
    from 0 to a round number above the highest value and the target, with four grid
    lines labelled with ``axis_suffix``, each point's text above it and its label below;
    a dashed line marks ``target``."""
    if not points:
        return _svg(chart_id, title, _summary(description, points), 32,
                    [_text(0, 20, empty_text, fill=MUTED)])
    left, right, top, bottom, height = 40.0, 16.0, 24.0, 28.0, 200.0
    values = [p.value for p in points if p.value is not None and math.isfinite(p.value)]
    ceiling = nice_ceiling(max([*values, *([target] if target is not None else []), 0.0]))
    plot_h = height - top - bottom
    plot_w = WIDTH - left - right

    def y_of(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(value / ceiling, 1.0)))

    inset = 20.0  # the first and last points' texts clear the axis and the edge

    def x_of(i: int) -> float:
        if len(points) == 1:
            return left + plot_w / 2
        return left + inset + (plot_w - 2 * inset) * i / (len(points) - 1)

    body: list[str] = []
    for step in range(5):
        level = ceiling * step / 4
        y = y_of(level)
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(WIDTH - right)}" y2="{_n(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        label = f"{level:g}{axis_suffix}"
        body.append(_text(left - 6, y + 4, label, anchor="end", size=11, fill=MUTED))
    if target is not None and math.isfinite(target):
        y = y_of(target)
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(WIDTH - right)}" y2="{_n(y)}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="4 3"/>'
        )
        body.append(_text(WIDTH - right, y - 4, target_text, anchor="end", size=11,
                          fill=TARGET))
    run: list[str] = []
    for i, point in enumerate(points):
        if point.value is None or not math.isfinite(point.value):
            if len(run) > 1:
                body.append(_polyline(run))
            run = []
            continue
        run.append(f"{_n(x_of(i))},{_n(y_of(point.value))}")
    if len(run) > 1:
        body.append(_polyline(run))
    for i, point in enumerate(points):
        x = x_of(i)
        body.append(_text(x, height - 8, point.label, anchor="middle", size=12))
        if point.value is None or not math.isfinite(point.value):
            body.append(_text(x, height - bottom - 4, point.text, anchor="middle", size=12,
                              fill=MUTED))
            continue
        y = y_of(point.value)
        body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{BAR}"/>')
        body.append(_text(x, max(y - 8, 12), point.text, anchor="middle", size=12,
                          weight="bold"))
    return _svg(chart_id, title, _summary(description, points), height, body)


def _polyline(points: list[str]) -> str:
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{BAR}" '
        'stroke-width="2.5" stroke-linejoin="round"/>'
    )


__all__ = ["Point", "bar_chart", "line_chart", "nice_ceiling"]
