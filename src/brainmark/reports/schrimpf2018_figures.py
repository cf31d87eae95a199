"""The figures of Schrimpf et al. 2018 from results records, each saved as PNG and SVG (matplotlib, Agg).

- :func:`plot_figure1`: the composite against ImageNet top-1 (interval bars), the 70 % line and r / p on each side.
- :func:`plot_figure2`: each benchmark of the composite against top-1: raw score (error bars: its error) with the
  benchmark's ceiling drawn (line, and a band of +- its error).
- :func:`plot_correlations`: the matrix of correlations across models (groups or benchmarks).
- :func:`plot_image_level`: human against model per-image d' with the |Δd'| <= 1 band (where I2n ran).

Every figure carries the notes it is given (which benchmarks stood in for the paper's) under its axes.
"""
from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from brainmark.reports.plots import _save  # noqa: E402
from brainmark.reports.schrimpf2018 import (  # noqa: E402
    COMPOSITE, TOP1_THRESHOLD, correlation_matrix, group_benchmarks, is_pretrained, top1_correlations, top1_of,
)
from brainmark.reports.tables import model_label  # noqa: E402
from brainmark.scoring.results import ResultsRecord  # noqa: E402

COLORS = {True: "#1f77b4", False: "#d62728"}  # pretrained, untrained


def _notes(fig: "plt.Figure", notes: Sequence[str]) -> None:
    """The notes under everything already drawn (tick labels included), across the figure's width."""
    if notes:
        renderer = fig.canvas.get_renderer()
        bottom = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes if ax.get_visible())
        y = fig.transFigure.inverted().transform((0, bottom))[1] - 0.01
        text = "\n".join(textwrap.fill(n, 140) for n in notes)
        fig.text(0.01, y, text, fontsize=6, va="top", ha="left", color="#444")


def figure1_points(records: Sequence[ResultsRecord]) -> pd.DataFrame:
    """Figure 1's points: model, top-1, composite, its interval and whether the model is pretrained."""
    rows = []
    for record in records:
        composite = next((c.score for c in record.composites if c.identifier == COMPOSITE), None)
        ci = composite.ci if composite is not None and composite.ci is not None else (math.nan, math.nan)
        rows.append({"model": model_label(record), "imagenet_top1": top1_of(record),
                     "brainscore": composite.ceiled if composite is not None else math.nan,
                     "ci_low": ci[0], "ci_high": ci[1], "pretrained": is_pretrained(record)})
    return pd.DataFrame(rows, columns=["model", "imagenet_top1", "brainscore", "ci_low", "ci_high", "pretrained"])


def _stat_text(row: pd.Series) -> str:
    if row["note"]:
        return f"{row['subset']}: n={row['n']}, r {row['note']}"
    interval = f", r 95% [{row['r_ci_low']:.2f}, {row['r_ci_high']:.2f}] (scores)" if math.isfinite(row["r_ci_low"]) else ""
    return f"{row['subset']}: n={row['n']}, r={row['r']:.2f}, p={row['p']:.3g}{interval}"


def plot_figure1(records: Sequence[ResultsRecord], folder: str | Path, *, notes: Sequence[str] = (),
                 threshold: float = TOP1_THRESHOLD) -> list[Path]:
    """Figure 1: the 2018 composite against ImageNet top-1 (``figure1.png`` / ``.svg`` in ``folder``)."""
    points = figure1_points(records)
    stats = top1_correlations(records, threshold)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    placed: list[tuple[float, float]] = []  # labels of points close together are stacked, not overprinted
    for pretrained, group in points.groupby("pretrained"):
        finite = group[np.isfinite(group["brainscore"]) & np.isfinite(group["imagenet_top1"])]
        low = (finite["brainscore"] - finite["ci_low"]).clip(lower=0).fillna(0)
        high = (finite["ci_high"] - finite["brainscore"]).clip(lower=0).fillna(0)
        ax.errorbar(finite["imagenet_top1"], finite["brainscore"], yerr=[low, high], fmt="o", capsize=3,
                    color=COLORS[bool(pretrained)], label="pretrained" if pretrained else "untrained (chance top-1)")
        for row in finite.itertuples(index=False):
            near = sum(1 for x, y in placed if abs(x - row.imagenet_top1) < 3 and abs(y - row.brainscore) < 0.02)
            placed.append((row.imagenet_top1, row.brainscore))
            ax.annotate(row.model, (row.imagenet_top1, row.brainscore), fontsize=6, xytext=(4, 2 - 7 * near),
                        textcoords="offset points")
    ax.axvline(threshold, color="gray", linestyle=":", linewidth=1)
    ax.set_xlabel("ImageNet top-1 (%; literature value, 0.1 = chance)")
    ax.set_ylabel("Brain-Score 2018 composite (95% interval)")
    ax.set_title("Figure 1: brain score vs ImageNet performance")
    ax.text(0.01, 0.99, "\n".join(_stat_text(r) for _, r in stats.iterrows()), transform=ax.transAxes,
            fontsize=6.5, va="top")
    ax.legend(fontsize=7, loc="lower right")
    _notes(fig, notes)
    return _save(fig, Path(folder), "figure1")


def _benchmark_points(records: Sequence[ResultsRecord], benchmark: str) -> pd.DataFrame:
    rows = []
    for record in records:
        result = record.score_for(benchmark)
        if result is None or result.score.meta.get("failed"):
            continue
        s = result.score
        rows.append({"top1": top1_of(record), "raw": s.raw, "error": s.error, "ceiling": s.ceiling,
                     "ceiling_error": s.ceiling_error, "pretrained": is_pretrained(record)})
    return pd.DataFrame(rows, columns=["top1", "raw", "error", "ceiling", "ceiling_error", "pretrained"])


def plot_figure2(records: Sequence[ResultsRecord], folder: str | Path, *, notes: Sequence[str] = ()) -> list[Path]:
    """Figure 2: each benchmark of the composite (raw score) against top-1 with its ceiling (``figure2.*``)."""
    panels = [(g, b) for g, names in group_benchmarks(records).items() for b in names]
    if not panels:
        return []
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    for ax, (group, benchmark) in zip(axes.flat, panels):
        data = _benchmark_points(records, benchmark)
        for pretrained, part in data.groupby("pretrained"):
            ax.errorbar(part["top1"], part["raw"], yerr=part["error"].fillna(0), fmt="o", capsize=2, markersize=4,
                        color=COLORS[bool(pretrained)])
        ceiling = float(np.nanmedian(data["ceiling"])) if len(data) else math.nan
        if math.isfinite(ceiling):
            spread = float(np.nanmedian(data["ceiling_error"])) if data["ceiling_error"].notna().any() else 0.0
            ax.axhline(ceiling, color="black", linestyle="--", linewidth=1)
            ax.axhspan(ceiling - spread, ceiling + spread, color="gray", alpha=0.2)
            ax.text(0.01, ceiling, f" ceiling {ceiling:.3f}", transform=ax.get_yaxis_transform(), fontsize=6,
                    va="bottom")
        low = float(np.nanmin(data["raw"] - data["error"].fillna(0))) if len(data) else 0.0
        ax.set_ylim(bottom=min(0.0, low))  # from 0, as the paper, so the distance to the ceiling reads true
        ax.set_title(f"{group}: {benchmark}", fontsize=8)
        ax.set_xlabel("ImageNet top-1 (%)", fontsize=7)
        ax.set_ylabel("raw score (error bars: its error)", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle("Figure 2: each benchmark vs ImageNet top-1 (blue pretrained, red untrained)", fontsize=9)
    fig.tight_layout()
    _notes(fig, notes)
    return _save(fig, Path(folder), "figure2")


def plot_correlations(pairs: pd.DataFrame, folder: str | Path, *, stem: str = "correlations",
                      notes: Sequence[str] = ()) -> list[Path]:
    """Heat map of :func:`~brainmark.reports.schrimpf2018.benchmark_correlations` (Pearson r across models)."""
    matrix = correlation_matrix(pairs)
    if matrix.empty:
        return []
    size = max(3.5, 0.55 * len(matrix) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix.to_numpy(dtype=float), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(matrix)), matrix.columns, rotation=60, ha="right", fontsize=6)
    ax.set_yticks(range(len(matrix)), matrix.index, fontsize=6)
    for i in range(len(matrix)):
        for j in range(len(matrix)):
            value = matrix.iat[i, j]
            ax.text(j, i, "–" if not math.isfinite(value) else f"{value:.2f}", ha="center", va="center", fontsize=6)
    n = int(pairs["n"].max()) if len(pairs) else 0
    ax.set_title(f"Pearson r across {n} models", fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.7)
    _notes(fig, notes)
    return _save(fig, Path(folder), stem)


def plot_image_level(records: Sequence[ResultsRecord], folder: str | Path, *, threshold: float = 1.0,
                     notes: Sequence[str] = ()) -> list[Path]:
    """Human vs model per-image d' of the best-scoring I2n model, with the |Δd'| <= ``threshold`` band."""
    best, best_value = None, -math.inf
    for record in records:
        for result in record.scores:
            if "image_dprime_model" in result.score.values and float(result.score.ceiled) > best_value:
                best, best_value = (record, result), float(result.score.ceiled)
    if best is None:
        return []
    record, result = best
    model = result.score.values["image_dprime_model"]
    human = result.score.values["image_dprime_human"].sel(stimulus=model["stimulus"].values)
    fig, ax = plt.subplots(figsize=(4.8, 4.6))
    ax.scatter(model.values, human.values, s=8)
    lims = [-5.2, 5.2]
    ax.plot(lims, lims, color="black", linewidth=0.8)
    ax.fill_between(lims, [v - threshold for v in lims], [v + threshold for v in lims], color="gray", alpha=0.2)
    ax.set_xlim(lims)
    ax.set_ylim(lims)
    ax.set_xlabel(f"{model_label(record)} image d'")
    ax.set_ylabel("human image d'")
    ax.set_title(f"{result.benchmark}: per-image d' (band |Δd'| <= {threshold:g})", fontsize=8)
    _notes(fig, notes)
    return _save(fig, Path(folder), "image_level")
