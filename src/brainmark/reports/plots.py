"""Plots of results records, each saved as PNG and SVG.

- ``benchmarks``: raw score per benchmark and model (bars, error bars = the score's error) with each
  benchmark's ceiling drawn as a line over its bars.
- ``composite_vs_imagenet``: composite score vs ImageNet top-1 (Figure 1 of Schrimpf et al. 2018), from the
  models' metadata (models without a top-1 are left out and named in the caption).
- ``layers``: per-layer selection scores of each neural benchmark (the table the layer commitment produced).
- ``shape_bias``: shape bias per class of each model against every human subject, with the instructed humans'
  range (Geirhos et al. 2019, Fig. 4; :mod:`brainmark.reports.shape_bias`), when a record has cue-conflict scores.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from brainmark.reports.tables import COMPOSITE_ORDER, model_label  # noqa: E402
from brainmark.scoring.results import ResultsRecord  # noqa: E402

FORMATS = ("png", "svg")


def _save(fig: "plt.Figure", folder: Path, stem: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in FORMATS:
        path = folder / f"{stem}.{fmt}"
        # fixed metadata so the same records give the same files
        fig.savefig(path, format=fmt, dpi=120, bbox_inches="tight",
                    metadata={"Date": None} if fmt == "svg" else {"Software": None})
        paths.append(path)
    plt.close(fig)
    return paths


def plot_benchmarks(records: Sequence[ResultsRecord], folder: Path) -> list[Path]:
    """Bar plot of every model's ceiled score per benchmark with its bootstrap interval (PNG + SVG files)."""
    benchmarks = sorted({r.benchmark for rec in records for r in rec.scores})
    if not benchmarks:
        return []
    n_models = len(records)
    width = 0.8 / max(n_models, 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(benchmarks) * max(1, n_models / 2)), 4.5))
    x = np.arange(len(benchmarks))
    levels = set()
    for m, record in enumerate(records):
        by_name = {r.benchmark: r.score for r in record.scores}
        ceiled = np.array([float(by_name[b].ceiled) if b in by_name else math.nan for b in benchmarks])
        intervals = [by_name[b].ci if b in by_name and by_name[b].ci is not None else (math.nan, math.nan)
                     for b in benchmarks]
        levels |= {by_name[b].ci_level for b in benchmarks if b in by_name and by_name[b].ci_level}
        low = np.nan_to_num(ceiled - np.array([i[0] for i in intervals]), nan=0.0).clip(min=0)
        high = np.nan_to_num(np.array([i[1] for i in intervals]) - ceiled, nan=0.0).clip(min=0)
        ax.bar(x - 0.4 + width * (m + 0.5), ceiled, width, yerr=[low, high], capsize=2, label=model_label(record))
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1.0, label="ceiling (1 on the ceiled scale)")
    ax.set_xticks(x, benchmarks, rotation=40, ha="right", fontsize=8)
    level = f"{max(levels):.0%} " if levels else ""
    ax.set_ylabel(f"ceiled score ({level}bootstrap interval)")
    ax.axhline(0, color="gray", linewidth=0.5)
    ax.legend(fontsize=7, loc="best")
    ax.set_title("Scores per benchmark")
    return _save(fig, folder, "benchmarks")


def plot_composite_vs_imagenet(records: Sequence[ResultsRecord], folder: Path, composite: str = COMPOSITE_ORDER[0]) -> list[Path]:
    """Composite score against ImageNet top-1, one point per model (PNG + SVG files)."""
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    missing = []
    for record in records:
        top1 = (record.model.get("metadata") or {}).get("imagenet_top1")
        value = next((c.score.ceiled for c in record.composites if c.identifier == composite), math.nan)
        if top1 is None or not math.isfinite(value):
            missing.append(model_label(record))
            continue
        top1 = float(top1)  # percent, as in the zoo metadata (0.1 = chance for untrained weights)
        ax.scatter(top1, value, s=30)
        ax.annotate(model_label(record), (top1, value), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("ImageNet top-1 (%)")
    ax.set_ylabel(f"{composite} composite")
    ax.set_title("Brain score vs ImageNet performance")
    if missing:
        ax.text(0.01, 0.01, "no top-1 or composite: " + ", ".join(missing), transform=ax.transAxes, fontsize=6, va="bottom")
    return _save(fig, folder, "composite_vs_imagenet")


def plot_layers(records: Sequence[ResultsRecord], folder: Path) -> list[Path]:
    """Per-layer score curves of each benchmark's layer selection (PNG + SVG files)."""
    curves: dict[str, list[tuple[str, dict[str, float]]]] = {}
    for record in records:
        for r in record.scores:
            table = r.score.meta.get("layer_scores") or {}
            if table:
                curves.setdefault(r.benchmark, []).append((model_label(record), {k: float(v) for k, v in table.items() if v is not None}))
    if not curves:
        return []
    n = len(curves)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, (benchmark, lines) in zip(axes.flat, sorted(curves.items())):
        for label, table in lines:
            ax.plot(range(len(table)), list(table.values()), marker="o", markersize=3, label=label)
        ax.set_title(benchmark, fontsize=9)
        names = list(lines[0][1])
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=6)
        ax.set_xlabel("candidate layer (input -> output)", fontsize=8)
        ax.set_ylabel("selection score", fontsize=8)
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, folder, "layers")


def plot_shape_bias(records: Sequence[ResultsRecord], folder: Path) -> list[Path]:
    """Shape bias per class of every model against each human (Geirhos 2019 Fig. 4), when a record has it."""
    from brainmark.reports.shape_bias import shape_bias_data, shape_bias_figure

    if not records or shape_bias_data(list(records)) is None:
        return []
    return _save(shape_bias_figure(list(records)), folder, "shape_bias")


def plot_all(records: Sequence[ResultsRecord], folder: str | Path) -> list[Path]:
    """All plots for ``records`` into ``folder``; returns the written files."""
    folder = Path(folder)
    return [*plot_benchmarks(records, folder), *plot_composite_vs_imagenet(records, folder), *plot_layers(records, folder),
            *plot_shape_bias(records, folder)]
