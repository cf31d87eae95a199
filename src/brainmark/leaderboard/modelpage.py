"""What a model's page shows: scores with intervals (and why one is left out of composites), its chart, per-layer
curves in the order the network runs, its composites, its score history and its facets."""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brainmark.leaderboard import plots, present
from brainmark.leaderboard.boardview import Interval
from brainmark.leaderboard.db import Model, ScoreHistory, User
from brainmark.leaderboard.facets import format_count, model_facets
from brainmark.leaderboard.store import LIGHT, row_interval, score_dict, visible


def interval_of(row: Any) -> Interval:
    """A stored score's ceiled value with its interval."""
    ci = row_interval(row)
    return Interval(row.ceiled, None if ci is None else (ci[0], ci[1]), None if ci is None else ci[2])


def exclusion(row: Any) -> str | None:
    """Why this score is left out of composites (None: it counts)."""
    from brainmark.scores import Score
    from brainmark.scoring.composites import exclusion_reason
    from brainmark.scoring.results import BenchmarkResult

    d = score_dict(row)
    d["values"] = {}  # the reason depends on the scalar fields and the provenance only
    return exclusion_reason(BenchmarkResult(row.benchmark.identifier, row.benchmark.version, Score.from_dict(d)))


def candidate_layers(model: Model) -> list[str]:
    """The model's candidate layers in network order, when its record names them (zoo metadata)."""
    inner = (model.model_metadata or {}).get("metadata") or {}
    layers = inner.get("layers") if isinstance(inner, dict) else None
    return [str(x) for x in layers] if isinstance(layers, list) else []


def _composites(model: Model) -> list[dict[str, Any]]:
    out = []
    for c in sorted(model.composites, key=lambda c: (c.identifier, c.version)):
        ci = (c.ci_low, c.ci_high) if c.ci_low is not None else (c.score or {}).get("ci")
        level = c.ci_level if c.ci_level is not None else (c.score or {}).get("ci_level")
        reasons = ((c.score or {}).get("meta") or {}).get("excluded_reasons") or {}
        out.append({"row": c, "interval": Interval(c.ceiled, tuple(ci) if ci else None, level), "excluded": reasons})
    return out


#: (model, its cue-conflict rows' ids and import times) -> SVG; matplotlib takes ~0.5 s, a model page must not
_SHAPE_BIAS_SVG: "OrderedDict[tuple, str]" = OrderedDict()
_SHAPE_BIAS_CACHE_SIZE = 64


def shape_bias_plot(model: Model) -> str:
    """The Geirhos 2019 Fig.-4 shape-bias plot (SVG) of a model with a cue-conflict shape-bias score, else ""
    (drawn once per model and imported scores)."""
    from brainmark.reports.shape_bias import HUMAN_REFERENCED, OFFICIAL, shape_bias_svg

    rows = sorted((s for s in model.scores if s.benchmark.identifier in (HUMAN_REFERENCED, OFFICIAL)),
                  key=lambda s: s.id)
    if not rows:
        return ""
    key = (model.identifier, tuple((s.id, s.created) for s in rows))
    svg = _SHAPE_BIAS_SVG.get(key)
    if svg is None:
        from brainmark.leaderboard.store import export_record

        try:
            svg = shape_bias_svg(export_record(model, rows), title=f"Shape bias per class: {model.identifier}")
            svg = svg[svg.index("<svg"):]  # inline in HTML: without the XML declaration and doctype
        except ValueError:  # a stored score without the per-class values (older rows)
            svg = ""
        _SHAPE_BIAS_SVG[key] = svg
        while len(_SHAPE_BIAS_SVG) > _SHAPE_BIAS_CACHE_SIZE:
            _SHAPE_BIAS_SVG.popitem(last=False)
    return svg


def model_context(session: Session, model: Model, user: User | None) -> dict[str, Any]:
    """The template context of ``model``'s page."""
    scores = sorted(model.scores, key=lambda s: (s.benchmark.identifier, s.benchmark.version))
    order = candidate_layers(model)
    curves = []
    for s in scores:
        layers = plots.layer_scores(s.meta or {})
        if layers:
            curves.append(plots.layer_curve(f"{s.benchmark.identifier} v{s.benchmark.version}",
                                            plots.layer_order(layers, order), s.layer))
    intervals = {s.id: interval_of(s) for s in scores}
    charted = [s for s in scores if s.ceiled is not None and math.isfinite(s.ceiled)]
    bars = plots.score_bars([s.benchmark.identifier for s in charted], [s.ceiled for s in charted],
                            [intervals[s.id].ci for s in charted]) if charted else ""
    history = list(session.scalars(select(ScoreHistory).where(ScoreHistory.model_id == model.id)
                                   .order_by(ScoreHistory.created.desc(), ScoreHistory.id.desc())
                                   .options(selectinload(ScoreHistory.benchmark), *LIGHT)))
    current = {}
    for h in history:
        current.setdefault(h.benchmark_id, h.id)
    others = [o.identifier for o in session.scalars(select(Model).where(Model.identifier != model.identifier)
                                                    .order_by(Model.identifier)) if visible(o, user)]
    facets = model_facets(model.identifier, model.model_metadata or {})
    return {
        "model": model, "scores": scores, "intervals": intervals, "excluded": {s.id: exclusion(s) for s in scores},
        "curves": curves, "bars": bars, "shape_bias": shape_bias_plot(model), "composites": _composites(model),
        "history": history,
        "current": set(current.values()), "facets": facets, "parameters": format_count(facets.parameter_count),
        "others": others,
        "owner": user is not None and model.owner_id == user.id, "present": present, "present_interval": interval_of,
        "environment": json.dumps(model.environment or {}, indent=2, sort_keys=True),
        "metadata": json.dumps(model.model_metadata or {}, indent=2, sort_keys=True),
    }
