"""The analyses of Schrimpf et al. 2018 ("Brain-Score"), computed from results records alone.

Every function takes a sequence of :class:`~brainmark.scoring.results.ResultsRecord` (one per model), so the
leaderboard can render the same tables from its stored records. Uncertainty comes from the records' bootstrap
replicates (the same draws for every model of a benchmark, so they are paired across models):

- :func:`table1`: Table 1 — the 2018 composite, its V4, IT and behaviour groups (each with its interval), ImageNet
  top-1, sorted; the rank, rank interval and "tied with the best" of :func:`brainmark.compare`.
- :func:`composite_differences`: the paired differences of the composite between models (which are real).
- :func:`top1_correlations`: Figure 1's statistics — Pearson r of composite and top-1 below / at or above 70 %.
- :func:`benchmark_correlations` / :func:`correlation_matrix`: how the groups (or benchmarks) agree across models.
- :func:`image_level`: the share of images with |Δd'| <= 1, human easier and model easier (where I2n ran).

The official 2018 data (MajajHong2015, Rajalingham2018) may be replaced by offline benchmarks of the same region
and kind; :func:`paper_benchmark_notes` says, from the records, which were used (every output repeats it).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from brainmark.reports.tables import model_label
from brainmark.scoring.composites import brainscore2018_groups
from brainmark.scoring.results import ResultsRecord

COMPOSITE = "brainscore2018"
GROUPS = ("V4", "IT", "behavior")
#: The paper's benchmark per group (Schrimpf et al. 2018; brainmark identifiers of the official data).
PAPER_BENCHMARKS = {"V4": "MajajHong2015.V4-pls", "IT": "MajajHong2015.IT-pls", "behavior": "Rajalingham2018-i2n"}
TOP1_THRESHOLD = 70.0
#: Reference values of the paper (REFERENCE.md section 1; Schrimpf et al. 2018, Table 1 and text).
PAPER = {
    "table1_top": [("densenet-169", 0.549, 0.663, 0.606, 0.378), ("cornet-s", 0.544, None, None, None),
                   ("resnet-101", 0.542, None, None, None)],
    "ceilings": {"V4": 0.892, "IT": 0.817, "behavior": 0.497},
    "correlations": {("behavior", "V4"): 0.66, ("behavior", "IT"): 0.86},
    "image_level": {"within": 0.61, "human_easier": 0.35, "model_easier": 0.04},
}


def top1_of(record: ResultsRecord) -> float:
    """The model's ImageNet top-1 in percent (literature value; 0.1 = chance for untrained weights), or NaN."""
    value = (record.model.get("metadata") or {}).get("imagenet_top1")
    return float(value) if value is not None else math.nan


def is_pretrained(record: ResultsRecord) -> bool:
    """False for an untrained (random-weights) control."""
    return not (record.model.get("options") or {}).get("untrained") and not record.model_identifier.endswith(
        "-untrained")


def _composite(record: ResultsRecord) -> Any:
    return next((c for c in record.composites if c.identifier == COMPOSITE), None)


def group_benchmarks(records: Sequence[ResultsRecord]) -> dict[str, list[str]]:
    """Which benchmarks made each group (V4, IT, behaviour) across the records."""
    out: dict[str, set[str]] = {g: set() for g in GROUPS}
    for record in records:
        for group, score in brainscore2018_groups(record.scores).items():
            out[group] |= set(score.benchmarks)
    return {g: sorted(v) for g, v in out.items()}


def excluded_benchmarks(records: Sequence[ResultsRecord]) -> dict[str, str]:
    """Benchmarks the 2018 composite left out, with the reason (as the composites record it)."""
    out: dict[str, str] = {}
    for record in records:
        composite = _composite(record)
        if composite is not None:
            out.update(composite.score.meta.get("excluded_reasons") or {})
    return dict(sorted(out.items()))


def paper_benchmark_notes(records: Sequence[ResultsRecord], reasons: Mapping[str, str] | None = None) -> list[str]:
    """One line per group: the paper's benchmark, or which offline benchmarks stood in for it (and why)."""
    used = group_benchmarks(records)
    notes = []
    for group in GROUPS:
        paper = PAPER_BENCHMARKS[group]
        if paper in used[group]:
            others = [b for b in used[group] if b != paper]
            notes.append(f"{group}: the paper's {paper}" + (f" (with {', '.join(others)})" if others else ""))
            continue
        why = f" ({reasons[group]})" if reasons and reasons.get(group) else ""
        stand_in = ", ".join(used[group]) or "none (no benchmark of this group ran)"
        notes.append(f"{group}: the paper's {paper} was not run{why}; offline benchmarks of the same region and kind "
                     f"stand in: {stand_in}")
    return notes


def _ranking(records: Sequence[ResultsRecord]) -> tuple[dict[str, Any], list[Any], str | None]:
    """The composite's ranking rows by model, the paired comparisons, and why there are none (if so)."""
    from brainmark.scoring.compare import ComparisonError, compare

    if len(records) < 2:
        return {}, [], "one model: nothing to compare"
    try:
        report = compare(list(records))
    except ComparisonError as exc:
        return {}, [], str(exc)
    rows = next((r.rows for r in report.rankings if r.composite == COMPOSITE), [])
    pairs = [c for c in report.comparisons if c.benchmark == COMPOSITE]
    return {row.model: row for row in rows}, pairs, None


def table1(records: Sequence[ResultsRecord]) -> pd.DataFrame:
    """Table 1: one row per model, sorted by the 2018 composite (best first), each value with its interval.

    Columns: ``rank``, ``model``, ``pretrained``, then ``brainscore``, ``V4``, ``IT``, ``behavior`` each with
    ``_ci_low`` / ``_ci_high``, ``imagenet_top1``, ``rank_ci_low`` / ``rank_ci_high`` and ``tied_with_best``
    (paired bootstrap tests, Holm-adjusted; ``brainmark.compare``). ``attrs``: ``notes`` (which benchmarks made
    each group), ``groups``, ``excluded``, ``level`` and ``ranking_note`` (why ranks are missing, if they are).
    """
    ranks, _, why = _ranking(records)
    rows, levels = [], set()
    for record in records:
        composite = _composite(record)
        row: dict[str, Any] = {"model": model_label(record), "pretrained": is_pretrained(record)}
        value = composite.score if composite is not None else None
        row.update(_value_columns("brainscore", value.ceiled if value is not None else math.nan,
                                  value.ci if value is not None else None))
        if value is not None and value.ci_level:
            levels.add(value.ci_level)
        groups = brainscore2018_groups(record.scores)
        for group in GROUPS:
            g = groups.get(group)
            row.update(_value_columns(group, g.value if g else math.nan, g.ci if g else None))
        row["imagenet_top1"] = top1_of(record)
        rank = ranks.get(record.model_identifier)
        row["rank"] = float(rank.rank) if rank else math.nan
        row["rank_ci_low"], row["rank_ci_high"] = rank.rank_ci if rank else (math.nan, math.nan)
        row["tied_with_best"] = bool(rank.tied_with_best) if rank else None
        rows.append(row)
    columns = ["rank", "model", "pretrained", *[f"{n}{s}" for n in ("brainscore", *GROUPS)
                                                for s in ("", "_ci_low", "_ci_high")],
               "imagenet_top1", "rank_ci_low", "rank_ci_high", "tied_with_best"]
    table = pd.DataFrame(rows, columns=columns).sort_values("brainscore", ascending=False, na_position="last",
                                                             kind="stable").reset_index(drop=True)
    table.attrs.update(notes=paper_benchmark_notes(records), groups=group_benchmarks(records),
                       excluded=excluded_benchmarks(records), level=max(levels) if levels else None,
                       ranking_note=why)
    return table


def _value_columns(name: str, value: float, ci: Sequence[float] | None) -> dict[str, float]:
    low, high = (float(ci[0]), float(ci[1])) if ci is not None else (math.nan, math.nan)
    return {name: float(value), f"{name}_ci_low": low, f"{name}_ci_high": high}


def format_table1(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Table 1 as text cells: ``0.546 [0.521, 0.570]``, the rank with its interval, ``yes`` when tied with best."""
    def cell(row: pd.Series, name: str) -> str:
        value, low, high = row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"]
        if not math.isfinite(value):
            return "–"
        text = f"{value:.{digits}f}"
        return text + (f" [{low:.{digits}f}, {high:.{digits}f}]" if math.isfinite(low) else " [no interval]")

    out = pd.DataFrame({
        "rank": [_rank_text(r) for _, r in table.iterrows()],
        "model": table["model"] + np.where(table["pretrained"], "", " (untrained)"),
        "Brain-Score": [cell(r, "brainscore") for _, r in table.iterrows()],
        "V4": [cell(r, "V4") for _, r in table.iterrows()],
        "IT": [cell(r, "IT") for _, r in table.iterrows()],
        "behaviour": [cell(r, "behavior") for _, r in table.iterrows()],
        "ImageNet top-1 %": [f"{v:.1f}" if math.isfinite(v) else "–" for v in table["imagenet_top1"]],
        "tied with best": ["–" if t is None or pd.isna(t) else ("yes" if bool(t) else "no")
                           for t in table["tied_with_best"]],
    })
    return out


def _rank_text(row: pd.Series) -> str:
    if not math.isfinite(row["rank"]):
        return "–"
    low, high = row["rank_ci_low"], row["rank_ci_high"]
    return f"{row['rank']:g} [{low:g}-{high:g}]" if math.isfinite(low) else f"{row['rank']:g}"


def markdown(frame: pd.DataFrame) -> str:
    """A DataFrame of text cells as a Markdown table."""
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def composite_differences(records: Sequence[ResultsRecord], alpha: float = 0.05) -> pd.DataFrame:
    """Paired differences of the 2018 composite for every pair of models (``a - b``), and which are real.

    ``p`` is ``brainmark.compare``'s bootstrap p (``p_adjusted_all``: adjusted over every comparison compare made).
    A bootstrap p cannot go below 2 / (B + 1) (0.002 for 1,000 resamples), so among many pairs no Holm-adjusted
    bootstrap p can reach 0.05; ``p_normal`` is therefore the two-sided normal p of the difference over its
    dual-bootstrap corrected standard error (robust, IQR / 1.349), ``p_holm`` its Holm adjustment over these pairs,
    and ``real`` = ``p_holm < alpha`` with an interval that excludes 0.
    """
    from scipy import stats

    from brainmark.scoring.composites import replicates_of
    from brainmark.stats.inference import holm, paired_difference

    _, pairs, why = _ranking(records)
    scores = {r.model_identifier: _composite(r).score for r in records if _composite(r) is not None}
    rows = []
    for c in pairs:
        p_normal, se = math.nan, math.nan
        if not c.note and c.a in scores and c.b in scores:  # the records' own composites (not recomputed)
            d, _, _ = paired_difference(replicates_of(scores[c.a]), replicates_of(scores[c.b]), c.difference, c.level)
            q75, q25 = np.percentile(d[np.isfinite(d)], [75, 25])
            se = float((q75 - q25) / 1.3489795003921634)
            p_normal = float(2 * stats.norm.sf(abs(c.difference) / se)) if se > 0 else math.nan
        rows.append({"a": c.a, "b": c.b, "difference": c.difference, "ci_low": c.ci[0], "ci_high": c.ci[1],
                     "se": se, "p": c.p, "p_adjusted_all": c.p_adjusted, "p_normal": p_normal, "note": c.note})
    columns = ["a", "b", "difference", "ci_low", "ci_high", "se", "p", "p_adjusted_all", "p_normal", "p_holm",
               "real", "note"]
    frame = pd.DataFrame(rows, columns=[c for c in columns if c not in ("p_holm", "real")])
    frame["p_holm"] = holm(frame["p_normal"].to_numpy(dtype=float)) if len(frame) else []
    excludes_zero = (frame["ci_low"] > 0) | (frame["ci_high"] < 0)
    frame["real"] = (frame["p_holm"] < alpha) & excludes_zero
    frame = frame[columns]
    frame.attrs["note"] = why or (f"paired over the same bootstrap resamples (dual-bootstrap corrected); real = "
                                  f"Holm-adjusted normal p < {alpha} over these {len(frame)} pairs and an interval "
                                  "excluding 0")
    return frame


# --- correlations across models ----------------------------------------------------------------------------------
def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float, str]:
    """Pearson r and its two-sided p (scipy), or NaN with the reason (too few models, a constant variable)."""
    from scipy import stats

    mask = np.isfinite(x) & np.isfinite(y)
    x, y = x[mask], y[mask]
    if len(x) < 3:
        return math.nan, math.nan, f"undefined: {len(x)} models (3 needed)"
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan, math.nan, "undefined: one variable is the same for every model"
    result = stats.pearsonr(x, y)
    return float(result.statistic), float(result.pvalue), ""


def _replicate_r(x: np.ndarray | None, y: np.ndarray, x_reps: np.ndarray | None, y_reps: np.ndarray,
                 level: float) -> tuple[float, float]:
    """Percentile interval of r over the paired score replicates (models x resamples): measurement noise only."""
    from brainmark.stats.bootstrap import percentile_interval

    if y_reps is None or (x is None and x_reps is None):
        return math.nan, math.nan
    values = []
    for b in range(y_reps.shape[1]):
        xs = x if x_reps is None else x_reps[:, b]
        values.append(_pearson(np.asarray(xs, float), y_reps[:, b])[0])
    values = np.asarray(values)
    if not np.isfinite(values).any():
        return math.nan, math.nan
    return percentile_interval(values[np.isfinite(values)], level)


def _group_matrix(records: Sequence[ResultsRecord], name: str) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Values (models,) and corrected replicates (models x resamples, or None) of a composite, group or benchmark."""
    from brainmark.scoring.composites import replicates_of

    values, reps, levels = [], [], set()
    for record in records:
        value, rep, level = math.nan, None, None
        if name == COMPOSITE:
            composite = _composite(record)
            if composite is not None:
                value, rep, level = composite.score.ceiled, replicates_of(composite.score), composite.score.ci_level
        elif name in GROUPS:
            group = brainscore2018_groups(record.scores).get(name)
            if group is not None:
                value, rep, level = group.value, group.replicates, group.ci_level
        else:
            result = record.score_for(name)
            if result is not None and not result.score.meta.get("failed"):
                value, rep, level = result.score.ceiled, replicates_of(result.score), result.score.ci_level
        values.append(value)
        reps.append(rep.corrected(value) if rep is not None else None)
        levels.add(level)
    lengths = {len(r) for r in reps if r is not None}
    stacked = np.stack(reps) if all(r is not None for r in reps) and len(lengths) == 1 else None
    level = next((lv for lv in levels if lv), 0.95)
    return np.asarray(values, float), stacked, float(level)


def top1_correlations(records: Sequence[ResultsRecord], threshold: float = TOP1_THRESHOLD) -> pd.DataFrame:
    """Figure 1's statistics: Pearson r (and p) of the composite with ImageNet top-1, for all models, below
    ``threshold`` % and at or above it; ``r_ci_*`` is r's interval over the score replicates."""
    top1 = np.asarray([top1_of(r) for r in records], float)
    values, reps, level = _group_matrix(records, COMPOSITE)
    rows = []
    for subset, mask in (("all", np.isfinite(top1)), (f"top-1 < {threshold:g} %", top1 < threshold),
                         (f"top-1 >= {threshold:g} %", top1 >= threshold)):
        r, p, why = _pearson(top1[mask], values[mask])
        low, high = _replicate_r(top1[mask], values[mask], None, reps[mask] if reps is not None else None, level) \
            if not why else (math.nan, math.nan)
        rows.append({"subset": subset, "n": int(np.sum(mask & np.isfinite(values))), "r": r, "p": p,
                     "r_ci_low": low, "r_ci_high": high, "note": why})
    return pd.DataFrame(rows)


def benchmark_correlations(records: Sequence[ResultsRecord], by: str = "group") -> pd.DataFrame:
    """Pearson r across models between every pair of groups (``by="group"``: V4, IT, behaviour) or benchmarks
    (``by="benchmark"``), with p, the number of models and r's interval over the paired score replicates."""
    if by == "group":
        names = [g for g in GROUPS if any(g in brainscore2018_groups(r.scores) for r in records)]
    elif by == "benchmark":
        names = sorted({s.benchmark for r in records for s in r.scores if not s.score.meta.get("failed")})
    else:
        raise ValueError(f"by must be 'group' or 'benchmark', got {by!r}")
    data = {n: _group_matrix(records, n) for n in names}
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (va, ra, level), (vb, rb, _) = data[a], data[b]
            r, p, why = _pearson(va, vb)
            low, high = _replicate_r(None, vb, ra, rb, level) if not why and ra is not None else (math.nan, math.nan)
            rows.append({"a": a, "b": b, "n": int(np.sum(np.isfinite(va) & np.isfinite(vb))), "r": r, "p": p,
                         "r_ci_low": low, "r_ci_high": high, "note": why})
    frame = pd.DataFrame(rows, columns=["a", "b", "n", "r", "p", "r_ci_low", "r_ci_high", "note"])
    frame.attrs["names"] = names
    return frame


def correlation_matrix(pairs: pd.DataFrame) -> pd.DataFrame:
    """The square, symmetric r matrix of :func:`benchmark_correlations` (1 on the diagonal)."""
    names = pairs.attrs.get("names") or sorted(set(pairs["a"]) | set(pairs["b"]))
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for row in pairs.itertuples(index=False):
        matrix.loc[row.a, row.b] = matrix.loc[row.b, row.a] = row.r
    return matrix


# --- image level (I2n) -------------------------------------------------------------------------------------------
def image_level_shares(model_dprime: Sequence[float], human_dprime: Sequence[float],
                       threshold: float = 1.0) -> dict[str, float]:
    """Δd' = human - model per image: the share within ``threshold``, human easier (Δ > t) and model easier (Δ < -t)."""
    model, human = np.asarray(model_dprime, float), np.asarray(human_dprime, float)
    if model.shape != human.shape:
        raise ValueError(f"model and human d' need one value per image each, got {model.shape} and {human.shape}")
    delta = (human - model)[np.isfinite(human) & np.isfinite(model)]
    n = len(delta)
    if n == 0:
        return {"n_images": 0, "within": math.nan, "human_easier": math.nan, "model_easier": math.nan}
    return {"n_images": n, "within": float(np.mean(np.abs(delta) <= threshold)),
            "human_easier": float(np.mean(delta > threshold)), "model_easier": float(np.mean(delta < -threshold))}


def image_level(records: Sequence[ResultsRecord], threshold: float = 1.0) -> pd.DataFrame:
    """Per model and I2n benchmark that ran: the image-level shares (:func:`image_level_shares`)."""
    rows = []
    for record in records:
        for result in record.scores:
            values = result.score.values
            if "image_dprime_model" not in values or "image_dprime_human" not in values:
                continue
            model, human = values["image_dprime_model"], values["image_dprime_human"]
            human = human.sel(stimulus=model["stimulus"].values) if "stimulus" in human.coords else human
            rows.append({"model": model_label(record), "benchmark": result.benchmark,
                         **image_level_shares(model.values, human.values, threshold)})
    frame = pd.DataFrame(rows, columns=["model", "benchmark", "n_images", "within", "human_easier", "model_easier"])
    frame.attrs["threshold"] = threshold
    return frame
