"""SVG figures for the web pages, returned as inline SVG text and cached by their exact inputs.

Figure 1 (composite vs ImageNet top-1, one per board state) is drawn by matplotlib (Agg backend, no pyplot);
the per-score layer curves and distributions, drawn many times, are small direct SVG charts
(:mod:`brainmark.leaderboard.svgcharts`).
"""
from __future__ import annotations

import functools
import io
import math
from typing import Any, Mapping, Sequence

import matplotlib

from matplotlib.figure import Figure  # noqa: E402  (no pyplot: no global state, safe in server threads)

from brainmark.leaderboard import svgcharts

matplotlib.rcParams["svg.hashsalt"] = "brainmark"  # stable ids: same data -> same SVG
matplotlib.rcParams["svg.fonttype"] = "none"  # text as <text>, not glyph paths: a fraction of the size


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def composite_vs_top1(points: Sequence[tuple[str, float, float] | tuple[str, float, float, Any]]) -> str:
    """Figure 1 of Schrimpf et al. 2018: brain score (composite) against ImageNet top-1, one dot per model, with
    the composite's interval as a vertical bar when a point carries one (``(name, top1, composite, (lo, hi))``)."""
    return _composite_vs_top1(tuple((p[0], p[1], p[2], tuple(p[3]) if len(p) > 3 and p[3] else None)
                                    for p in points))


@functools.lru_cache(maxsize=64)
def _composite_vs_top1(points: tuple[tuple[str, float, float, Any], ...]) -> str:
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    if points:
        for name, x, y, ci in points:
            if ci is not None:
                ax.plot([100 * x, 100 * x], list(ci), color="#729fcf", linewidth=1.2, zorder=2)
        ax.scatter([100 * p[1] for p in points], [p[2] for p in points], s=28, color="#3465a4",
                   edgecolor="white", zorder=3)
        for (name, x, y, _), offset in zip(points, _label_offsets(points)):
            ax.annotate(name, (100 * x, y), textcoords="offset points", xytext=offset, fontsize=7,
                        ha="left" if offset[0] > 0 else "right")
    else:
        ax.text(0.5, 0.5, "no model has both an ImageNet top-1 and a composite yet", ha="center", va="center",
                transform=ax.transAxes, fontsize=9, color="#666")
    ax.set_xlabel("ImageNet top-1 accuracy (%)")
    ax.set_ylabel("composite brain score (ceiled)")
    ax.grid(alpha=0.3)
    return _svg(fig)


def _label_offsets(points: Sequence[tuple[str, float, float, Any]]) -> list[tuple[int, int]]:
    """Label offsets (points) that keep the names of nearby dots apart: the next of a crowded dot goes below, then
    to the left."""
    xs, ys = [100 * p[1] for p in points], [p[2] for p in points]
    dx, dy = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    choices = [(4, 4), (4, -10), (-4, 4), (-4, -10), (4, 14), (-4, 14)]
    placed: list[tuple[float, float, tuple[int, int]]] = []
    out = []
    for x, y in zip(xs, ys):
        near = [o for px, py, o in placed if abs(px - x) / dx < 0.08 and abs(py - y) / dy < 0.06]
        offset = next((c for c in choices if c not in near), choices[0])
        placed.append((x, y, offset))
        out.append(offset)
    return out


def layer_curve(title: str, layers: Mapping[str, float], chosen: str | None) -> str:
    """Score per candidate layer, in network order, with the committed layer marked."""
    return _layer_curve(title, tuple(layers.items()), chosen)


@functools.lru_cache(maxsize=2048)
def _layer_curve(title: str, items: tuple[tuple[str, float], ...], chosen: str | None) -> str:
    return svgcharts.line_chart(title, [n for n, _ in items], [v for _, v in items], chosen)


def layer_order(layers: Mapping[str, float], candidates: Sequence[str] | None = None) -> dict[str, float]:
    """``layers`` in the order the network runs: the model's candidate-layer order when it is known (the zoo's
    ``layers``), else a natural sort of the names (``_blocks.2`` before ``_blocks.10``)."""
    import re

    def natural(name: str) -> list[Any]:
        return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name) if t]

    position = {name: i for i, name in enumerate(candidates or [])}
    known = [n for n in layers if n in position]
    if candidates and len(known) == len(layers):
        return {n: layers[n] for n in sorted(known, key=position.__getitem__)}
    return {n: layers[n] for n in sorted(layers, key=natural)}


def score_bars(names: Sequence[str], values: Sequence[float], intervals: Sequence[Any]) -> str:
    """A model's ceiled score per benchmark with its interval (the model page's chart)."""
    return _score_bars(tuple(names), tuple(values), tuple(tuple(i) if i else None for i in intervals))


@functools.lru_cache(maxsize=512)
def _score_bars(names: tuple, values: tuple, intervals: tuple) -> str:
    return svgcharts.interval_bars(f"Ceiled score on each of its {len(names)} benchmarks (lines: confidence intervals)",
                                   names, values, intervals, "ceiled score")


def distribution(values: Sequence[float], label: str = "ceiled score") -> str:
    """Histogram of all models' scores on one benchmark."""
    return _distribution(tuple(values), label)


@functools.lru_cache(maxsize=512)
def _distribution(values: tuple, label: str) -> str:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return svgcharts.histogram(finite, label, f"{len(finite)} models")


def layer_scores(meta: Mapping[str, Any]) -> dict[str, float]:
    """Per-layer scores recorded in a score's provenance (the layer commitment), if any.

    Looks for a mapping layer -> number under ``layer_scores``, or under ``commitment``/``layer_selection``
    (as ``scores`` / ``layer_scores``).
    """
    candidates: list[Any] = [meta.get("layer_scores")]
    for key in ("commitment", "layer_selection", "layer_commitment"):
        sub = meta.get(key)
        if isinstance(sub, Mapping):
            candidates += [sub.get("layer_scores"), sub.get("scores")]
    for c in candidates:
        if isinstance(c, Mapping) and c and all(isinstance(v, (int, float)) or v is None for v in c.values()):
            return {str(k): (math.nan if v is None else float(v)) for k, v in c.items()}
        if isinstance(c, list) and c and all(isinstance(x, Mapping) and "layer" in x for x in c):
            return {str(x["layer"]): float(x.get("score", math.nan) or math.nan) for x in c}
    return {}
