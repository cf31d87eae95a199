"""Which benchmarks agree: the correlation, across models, of every pair of benchmarks' ceiled scores.

Pearson r (as Schrimpf et al. 2018 report between benchmarks) over the models that have both scores, with its
p-value, Spearman's rho and the number of models; on the diagonal, the benchmark's reliability at ordering models
(Spearman-Brown corrected split-half over stimuli, :func:`brainmark.stats.ranking.benchmark_reliability`), the
ceiling any correlation with it can reach. Pairs with fewer than 3 models are left empty.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from markupsafe import Markup, escape

from brainmark.leaderboard.present import heat, label
from brainmark.leaderboard.snapshot import group_of
from brainmark.leaderboard.view import GROUPS
from brainmark.scoring.results import ResultsRecord

MIN_MODELS = 3


@dataclass(frozen=True)
class Pair:
    """The agreement of two benchmarks across models."""

    pearson: float
    p: float
    spearman: float
    n: int


def _scores(records: Sequence[ResultsRecord]) -> tuple[list[str], dict[str, dict[str, float]], dict[str, list]]:
    """(benchmarks in group order, benchmark -> model -> ceiled, benchmark -> split-half arrays)."""
    values: dict[str, dict[str, float]] = {}
    halves: dict[str, list] = {}
    groups: dict[str, str] = {}
    for record in records:
        for s in record.scores:
            if s.score.meta.get("failed") or not math.isfinite(s.score.ceiled):
                continue
            values.setdefault(s.benchmark, {})[record.model_identifier] = float(s.score.ceiled)
            groups.setdefault(s.benchmark, group_of(dict(s.score.meta)))
            if "split_half" in s.score.values:
                halves.setdefault(s.benchmark, []).append(np.asarray(s.score.values["split_half"].values, dtype=float))
    order = sorted(values, key=lambda b: (GROUPS.index(groups[b]) if groups[b] in GROUPS else len(GROUPS), b))
    return order, values, halves


def correlations(records: Sequence[ResultsRecord]) -> tuple[list[str], dict[tuple[str, str], Pair],
                                                            dict[str, tuple[float, int]]]:
    """(benchmarks, their pairwise agreement, each one's split-half reliability and its number of models)."""
    import scipy.stats

    from brainmark.stats.ranking import benchmark_reliability

    order, values, halves = _scores(records)
    pairs = {}
    for i, x in enumerate(order):
        for y in order[i + 1:]:
            models = sorted(set(values[x]) & set(values[y]))
            if len(models) < MIN_MODELS:
                continue
            a = np.asarray([values[x][m] for m in models])
            b = np.asarray([values[y][m] for m in models])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a constant column has no correlation: NaN
                r, p = scipy.stats.pearsonr(a, b)
                rho = scipy.stats.spearmanr(a, b).statistic
            pairs[(x, y)] = pairs[(y, x)] = Pair(float(r), float(p), float(rho), len(models))
    shapes = {b: {h.shape for h in hs} for b, hs in halves.items()}
    reliability = {b: benchmark_reliability(np.stack(hs)) for b, hs in halves.items() if len(shapes[b]) == 1}
    return order, pairs, reliability


def _cell(pair: Pair | None) -> str:
    if pair is None or not math.isfinite(pair.pearson):
        return '<td class="heat-none" title="fewer than 3 models have both">–</td>'
    title = (f"Pearson r = {pair.pearson:.2f} (p = {pair.p:.3g}), Spearman rho = {pair.spearman:.2f}, "
             f"n = {pair.n} models")
    return f'<td class="{heat(pair.pearson, (-1.0, 1.0))}" data-value="{pair.pearson:.4f}" title="{escape(title)}">' \
           f"{pair.pearson:.2f}</td>"


def correlation_page(records: Sequence[ResultsRecord]) -> str:
    """The correlation matrix as an HTML fragment (the report page ``correlations``)."""
    order, pairs, reliability = correlations(records)
    if len(order) < 2:
        return "<p>Fewer than two benchmarks have scores in this view: nothing to correlate.</p>"
    head = "".join(f'<th class="bench" title="{escape(b)}"><div class="vhead">{escape(b)}</div></th>' for b in order)
    rows = []
    for x in order:
        cells = []
        for y in order:
            if x == y:
                rel, n = reliability.get(x, (math.nan, 0))
                text = f"{rel:.2f}" if math.isfinite(rel) else "–"
                cells.append(f'<td class="diagonal" title="split-half reliability (Spearman-Brown), {n} models">'
                             f"{text}</td>")
            else:
                cells.append(_cell(pairs.get((x, y))))
        rows.append(f'<tr><th class="row-head"><a href="/benchmarks/{escape(x)}">{label(x)}</a></th>{"".join(cells)}</tr>')
    n_models = len({r.model_identifier for r in records})
    return str(Markup(
        f"<p>Pearson correlation across the {n_models} models in view of each pair of benchmarks' ceiled scores "
        f"(hover a cell for its p-value, Spearman's rho and the number of models; pairs with fewer than "
        f"{MIN_MODELS} models are empty). Diagonal: the benchmark's split-half reliability at ordering these models "
        "(Spearman-Brown corrected), the most any correlation with it can reach.</p>"
        f'<div class="table-wrap"><table id="correlations" class="matrix"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"))
