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


def composite_vs_top1(points: Sequence[tuple[str, float, float]]) -> str:
    """Figure 1 of Schrimpf et al. 2018: brain score (composite) against ImageNet top-1, one dot per model."""
    return _composite_vs_top1(tuple(points))


@functools.lru_cache(maxsize=64)
def _composite_vs_top1(points: tuple[tuple[str, float, float], ...]) -> str:
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    if points:
        names, xs, ys = zip(*points)
        ax.scatter([100 * x for x in xs], ys, s=28, color="#3465a4", edgecolor="white", zorder=3)
        for name, x, y in points:
            ax.annotate(name, (100 * x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    else:
        ax.text(0.5, 0.5, "no model has both an ImageNet top-1 and a composite yet", ha="center", va="center",
                transform=ax.transAxes, fontsize=9, color="#666")
    ax.set_xlabel("ImageNet top-1 accuracy (%)")
    ax.set_ylabel("composite brain score (ceiled)")
    ax.grid(alpha=0.3)
    return _svg(fig)


def layer_curve(title: str, layers: Mapping[str, float], chosen: str | None) -> str:
    """Score per candidate layer, in network order, with the committed layer marked."""
    return _layer_curve(title, tuple(layers.items()), chosen)


@functools.lru_cache(maxsize=2048)
def _layer_curve(title: str, items: tuple[tuple[str, float], ...], chosen: str | None) -> str:
    return svgcharts.line_chart(title, [n for n, _ in items], [v for _, v in items], chosen)


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
