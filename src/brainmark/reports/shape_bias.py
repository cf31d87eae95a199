"""The shape-bias plot of Geirhos et al. 2019 (Fig. 4): shape bias per class, models against each human subject.

Rows are the 16 shape classes; the x axis is the fraction of "shape" decisions among shape-or-texture decisions
(the top axis reads the same as the fraction of "texture" decisions). Per class: every uninstructed subject (grey
dots), each model (one colour per model), and the human range (shaded): from the subjects told to report the
texture to those told to report the shape (how far humans *can* follow either cue). Vertical lines mark the overall
shape biases (dashed: humans pooled; solid: each model).

The data come from a results record's cue-conflict scores (``Geirhos2021cueconflict-shape_bias`` holds the
per-class shape biases of the model and of every subject, plus the instructed conditions; the official
``Hermann2020cueconflict-shape_bias`` is used when it is the only one). :func:`shape_bias_figure` takes a
:class:`~brainmark.scoring.results.ResultsRecord`, its JSON dict, its list of scores, or several records, and returns
a matplotlib figure; :func:`shape_bias_svg` returns the SVG text (e.g. for a web page).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from brainmark.metrics.behavioral.imagenet16 import CATEGORIES  # noqa: E402
from brainmark.scores import Score  # noqa: E402

HUMAN_REFERENCED = "Geirhos2021cueconflict-shape_bias"
OFFICIAL = "Hermann2020cueconflict-shape_bias"
COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


@dataclass
class ShapeBiasData:
    """What the plot shows: per-class shape biases of the models, the subjects and the instructed humans."""

    models: dict[str, tuple[float, dict[str, float]]] = field(default_factory=dict)  # label -> (overall, per class)
    subjects: dict[str, dict[str, float]] = field(default_factory=dict)
    human_overall: float = math.nan
    instructed: dict[str, dict[str, float]] = field(default_factory=dict)  # "shape"/"texture" -> per class
    instructed_overall: dict[str, float] = field(default_factory=dict)  # "shape"/"texture" -> pooled shape bias


def _scores_of(source: Any) -> tuple[str, dict[str, Any]]:
    """(model label, {benchmark: Score-or-dict}) of one record, its JSON dict, or its list of scores."""
    from brainmark.scoring.results import ResultsRecord

    if isinstance(source, ResultsRecord):
        from brainmark.reports.tables import model_label

        return model_label(source), {r.benchmark: r.score for r in source.scores}
    if isinstance(source, Mapping) and "scores" in source:
        label = str((source.get("model") or {}).get("identifier", "model"))
        return label, {str(r["benchmark"]): r["score"] for r in source["scores"]}
    if isinstance(source, Mapping):
        return "model", dict(source)
    scores = {}
    for item in source:
        benchmark = getattr(item, "benchmark", None) or (item.get("benchmark") if isinstance(item, Mapping) else None)
        scores[str(benchmark)] = getattr(item, "score", None) or item.get("score")
    return "model", scores


def _meta(score: Any) -> Mapping[str, Any]:
    if isinstance(score, Score):
        return score.meta
    return (score or {}).get("meta") or {}


def _add(data: ShapeBiasData, label: str, scores: dict[str, Any]) -> bool:
    human, official = _meta(scores.get(HUMAN_REFERENCED)), _meta(scores.get(OFFICIAL))
    if "model_shape_bias_per_class" in human:
        data.models[label] = (float(human["model_shape_bias"]), dict(human["model_shape_bias_per_class"]))
        data.subjects = {str(k): dict(v) for k, v in human["human_shape_bias_per_class_per_subject"].items()}
        data.human_overall = float(human["human_shape_bias"])
    elif "shape_bias_per_class" in official:
        data.models[label] = (float(official["shape_bias"]), dict(official["shape_bias_per_class"]))
    else:
        return False
    ranges = human.get("human_range") or official.get("human_range") or {}
    for cue in ("shape", "texture"):
        if cue in ranges:
            data.instructed[cue] = dict(ranges[cue]["per_class"])
            data.instructed_overall[cue] = float(ranges[cue]["shape_bias"])
    if "none" in ranges and not math.isfinite(data.human_overall):
        data.human_overall = float(ranges["none"]["shape_bias"])
    return True


def _is_record(source: Any) -> bool:
    from brainmark.scoring.results import ResultsRecord

    return isinstance(source, ResultsRecord) or (isinstance(source, Mapping) and "scores" in source)


def shape_bias_data(sources: Any) -> ShapeBiasData | None:
    """The plot's data from one or several records (None when none has a cue-conflict shape-bias score)."""
    several = isinstance(sources, Sequence) and len(sources) > 0 and all(_is_record(s) for s in sources)
    data, found = ShapeBiasData(), False
    for source in (sources if several else [sources]):
        label, scores = _scores_of(source)
        if label in data.models:
            label = f"{label} ({len(data.models) + 1})"
        found = _add(data, label, scores) or found
    return data if found else None


def _values(per_class: Mapping[str, float], classes: Sequence[str]) -> np.ndarray:
    return np.asarray([float(per_class.get(c, math.nan)) for c in classes], dtype=float)


def _draw(ax: "plt.Axes", data: ShapeBiasData) -> None:
    classes = list(CATEGORIES)
    y = np.arange(len(classes))[::-1]
    if {"shape", "texture"} <= set(data.instructed):
        low, high = _values(data.instructed["texture"], classes), _values(data.instructed["shape"], classes)
        overall = data.instructed_overall
        ax.barh(y, np.abs(high - low), left=np.minimum(low, high), height=0.7, color="#bbbbbb", alpha=0.45,
                label=f"human range: told to follow the texture ({overall['texture']:.3f}) to the shape "
                      f"({overall['shape']:.3f})", zorder=1)
    for k, per_class in enumerate(data.subjects.values()):
        ax.scatter(_values(per_class, classes), y, s=12, color="#555555", alpha=0.55, zorder=2,
                   label="humans (each subject)" if k == 0 else None)
    if math.isfinite(data.human_overall):
        ax.axvline(data.human_overall, color="#555555", linestyle="--", linewidth=1, zorder=1,
                   label=f"humans pooled: {data.human_overall:.3f}")
    for m, (label, (overall, per_class)) in enumerate(data.models.items()):
        color = COLORS[m % len(COLORS)]
        ax.scatter(_values(per_class, classes), y, s=36, color=color, marker=MARKERS[m % len(MARKERS)], zorder=3,
                   edgecolor="black", linewidth=0.4, label=f"{label}: {overall:.3f}")
        if math.isfinite(overall):
            ax.axvline(overall, color=color, linewidth=1.2, zorder=1)
    ax.set_yticks(y, classes, fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.7, len(classes) - 0.3)
    ax.set_xlabel("fraction of 'shape' decisions (shape bias)")
    top = ax.secondary_xaxis("top", functions=(lambda v: 1 - v, lambda v: 1 - v))
    top.set_xlabel("fraction of 'texture' decisions")
    ax.grid(axis="x", color="#eeeeee", zorder=0)


def shape_bias_figure(sources: Any, *, title: str = "Shape bias per class (cue-conflict images)") -> "plt.Figure":
    """The Fig.-4-style plot of one or several results records (or one record's scores), as a matplotlib figure.

    Raises ``ValueError`` when no record has a cue-conflict shape-bias score.
    """
    data = shape_bias_data(sources)
    if data is None:
        raise ValueError(f"no cue-conflict shape-bias score ({HUMAN_REFERENCED} or {OFFICIAL}) in the given results")
    fig, ax = plt.subplots(figsize=(6.2, 6.6))
    _draw(ax, data)
    ax.set_title(title, fontsize=10, pad=28)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def shape_bias_svg(sources: Any, **kw: Any) -> str:
    """The plot as SVG text (no date in the metadata, so the same results give the same text)."""
    fig = shape_bias_figure(sources, **kw)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "brainmark"}):  # fixed element ids
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()
