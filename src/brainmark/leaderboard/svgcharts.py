"""Small inline SVG charts (a line over named points, a histogram) written directly as SVG elements.

The model and benchmark pages draw one such chart per score; matplotlib takes ~0.3 s per figure, which made a
model's first view cost seconds and stalled the server under load. These take well under a millisecond. Every
label is XML-escaped.
"""
from __future__ import annotations

import math
from typing import Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 64


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return [lo]
    raw = span / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10)), key=lambda c: abs(math.log(c / raw)))
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + 1e-9 * step:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _frame(title: str, y_label: str, lo: float, hi: float) -> list[str]:
    """The SVG head, title, y axis with round ticks and grid lines."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img" font-family="sans-serif" font-size="10">',
             f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="11">{escape(title)}</text>',
             f'<text x="12" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2}" transform="rotate(-90 12 '
             f'{TOP + (HEIGHT - TOP - BOTTOM) / 2})" text-anchor="middle">{escape(y_label)}</text>']
    for value in nice_ticks(lo, hi):
        y = _y(value, lo, hi)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{value:.3g}</text>')
    return parts


def _y(value: float, lo: float, hi: float) -> float:
    span = hi - lo or 1.0
    return HEIGHT - BOTTOM - (value - lo) / span * (HEIGHT - TOP - BOTTOM)


def _x(index: int, count: int) -> float:
    return LEFT + (index + 0.5) * (WIDTH - LEFT - RIGHT) / max(count, 1)


def _range(values: Sequence[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite + [0.0]), max(finite)
    return lo, hi if hi > lo else lo + 1.0


def line_chart(title: str, names: Sequence[str], values: Sequence[float], chosen: str | None = None) -> str:
    """Values over named points (e.g. score per layer, in network order), ``chosen`` marked with a red star."""
    lo, hi = _range(values)
    parts = _frame(title, "score", lo, hi)
    points = [(_x(i, len(names)), _y(v, lo, hi)) for i, v in enumerate(values) if math.isfinite(v)]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#4e9a06" stroke-width="2"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#4e9a06"/>' for x, y in points]
    for i, (name, value) in enumerate(zip(names, values)):
        x = _x(i, len(names))
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 12}" transform="rotate(45 {x:.1f} '
                     f'{HEIGHT - BOTTOM + 12})" font-size="8">{escape(str(name))}</text>')
        if name == chosen and math.isfinite(value):
            parts.append(f'<text x="{x:.1f}" y="{_y(value, lo, hi) + 5:.1f}" text-anchor="middle" fill="#cc0000" '
                         f'font-size="16">&#9733;<title>committed: {escape(str(name))}</title></text>')
    if chosen is not None:
        parts.append(f'<text x="{WIDTH - RIGHT}" y="16" text-anchor="end" fill="#cc0000">committed: '
                     f'{escape(str(chosen))}</text>')
    return "".join(parts) + "</svg>"


def histogram(values: Sequence[float], label: str, title: str, bins: int = 20, unit: str = "models") -> str:
    """Counts of ``values`` in equal-width bins between their minimum and maximum (``unit``: what is counted)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    bins = min(bins, max(5, len(finite)))
    counts = [0] * bins
    for v in finite:
        counts[min(bins - 1, int((v - lo) / (hi - lo) * bins))] += 1
    top = max(counts + [1])
    parts = _frame(title, unit, 0.0, float(top))
    width = (WIDTH - LEFT - RIGHT) / bins
    for i, count in enumerate(counts):
        y = _y(count, 0.0, top)
        parts.append(f'<rect x="{LEFT + i * width:.1f}" y="{y:.1f}" width="{width - 1:.1f}" '
                     f'height="{HEIGHT - BOTTOM - y:.1f}" fill="#75507b" opacity="0.8"/>')
    for value, anchor, x in ((lo, "start", LEFT), (hi, "end", WIDTH - RIGHT)):
        parts.append(f'<text x="{x}" y="{HEIGHT - BOTTOM + 14}" text-anchor="{anchor}">{value:.3g}</text>')
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 20}" text-anchor="middle">{escape(label)}</text>')
    return "".join(parts) + "</svg>"


def whisker(value: float | None, ci: Sequence[float] | None, lo: float, hi: float, width: int = 42) -> str:
    """A cell-sized interval: a line from the interval's low to its high end, a dot at the value, on [lo, hi]."""
    if value is None or not math.isfinite(value):
        return ""
    span = hi - lo if hi > lo else 1.0

    def x(v: float) -> float:
        return 2 + (min(max(v, lo), hi) - lo) / span * (width - 4)

    parts = [f'<svg class="whisker" viewBox="0 0 {width} 8" width="{width}" height="8" aria-hidden="true">',
             f'<line x1="2" x2="{width - 2}" y1="4" y2="4" stroke="#bbb" stroke-width="1"/>']
    if ci is not None and all(c is not None and math.isfinite(c) for c in ci):
        lo_x, hi_x = x(ci[0]), max(x(ci[1]), x(ci[0]) + 1)
        parts.append(f'<line x1="{lo_x:.1f}" x2="{hi_x:.1f}" y1="4" y2="4" stroke="#3465a4" stroke-width="3"/>'
                     f'<line x1="{lo_x:.1f}" x2="{lo_x:.1f}" y1="0.5" y2="7.5" stroke="#204a87"/>'
                     f'<line x1="{hi_x:.1f}" x2="{hi_x:.1f}" y1="0.5" y2="7.5" stroke="#204a87"/>')
    parts.append(f'<circle cx="{x(value):.1f}" cy="4" r="1.8" fill="#000"/></svg>')
    return "".join(parts)


def interval_bars(title: str, names: Sequence[str], values: Sequence[float],
                  intervals: Sequence[Sequence[float] | None], axis_label: str) -> str:
    """One horizontal bar per name with its interval drawn as a whisker (e.g. a model's score per benchmark)."""
    rows = max(len(names), 1)
    row_h, left, right, top = 18, 250, 24, 30
    height = top + rows * row_h + 34
    finite = [v for v in values if math.isfinite(v)] + [c for ci in intervals if ci for c in ci if math.isfinite(c)]
    lo, hi = min(finite + [0.0]), max(finite + [1e-9])
    span = hi - lo or 1.0
    plot_w = WIDTH + 140 - left - right

    def x(v: float) -> float:
        return left + (v - lo) / span * plot_w

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH + 140} {height}" width="{WIDTH + 140}" '
             f'height="{height}" role="img" font-family="sans-serif" font-size="10">',
             f'<text x="{(WIDTH + 140) / 2}" y="16" text-anchor="middle" font-size="11">{escape(title)}</text>']
    for v in nice_ticks(lo, hi):
        parts.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top - 4}" y2="{top + rows * row_h}" stroke="#ddd"/>'
                     f'<text x="{x(v):.1f}" y="{top + rows * row_h + 12}" text-anchor="middle">{v:.3g}</text>')
    for i, (name, value, ci) in enumerate(zip(names, values, intervals)):
        y = top + i * row_h
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{escape(str(name))}</text>')
        if math.isfinite(value):
            x0, x1 = sorted((x(0.0 if lo <= 0 <= hi else lo), x(value)))
            parts.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 0.5):.1f}" height="{row_h - 6}" '
                         f'fill="#75507b" opacity="0.75"/>')
        if ci and all(math.isfinite(c) for c in ci):
            parts.append(f'<line x1="{x(ci[0]):.1f}" x2="{x(ci[1]):.1f}" y1="{y + row_h / 2}" y2="{y + row_h / 2}" '
                         f'stroke="#222" stroke-width="1.5"/>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle">{escape(axis_label)}</text>')
    return "".join(parts) + "</svg>"
