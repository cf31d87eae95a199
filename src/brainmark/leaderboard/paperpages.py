"""The board's Table 1 and Figure 1 pages: the ``reproduce schrimpf2018`` report functions over the models in view.

Board records carry benchmark scores only (composites depend on the view), so each page recomputes the 2018
composite of every record from the scores shown before handing the records to :mod:`brainmark.reports.schrimpf2018`
-- the same functions, so the page and ``brainmark reproduce schrimpf2018`` give the same table for the same scores.
"""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Sequence

from markupsafe import escape

from brainmark.scoring.results import ResultsRecord


def with_2018_composite(records: Sequence[ResultsRecord]) -> list[ResultsRecord]:
    """The records with their 2018 composite computed from the scores they hold (others dropped)."""
    from brainmark.scoring.composites import brainscore2018

    out = []
    for record in records:
        composite = brainscore2018(record.scores)
        out.append(dataclasses.replace(record, composites=[composite] if composite is not None else []))
    return out


def _notes_html(notes: Sequence[str]) -> str:
    return "".join(f"<p class=note>{escape(n)}</p>" for n in notes)


def table1_page(records: Sequence[ResultsRecord]) -> str:
    """Table 1 of Schrimpf et al. 2018 over the models in view, with intervals, ranks and which differences are real."""
    from brainmark.reports.schrimpf2018 import composite_differences, format_table1, table1
    from brainmark.reports.schrimpf2018_html import html_table, table1_caption

    records = with_2018_composite(records)
    if not any(r.composites for r in records):
        return ("<p>No model in this view has a V4, IT or behaviour score: the 2018 composite needs at least one. "
                "Choose a view with those benchmarks.</p>")
    table = table1(records)
    diffs = composite_differences(records)
    real = int(diffs["real"].sum()) if len(diffs) else 0
    return (_notes_html(table.attrs["notes"])
            + '<div class="table-wrap" id="table1">'
            + html_table(format_table1(table), table1_caption(table, table.attrs.get("level") or 0.95, groups=False))
            + "</div>"
            + f"<p id=differences>{real} of {len(diffs)} pairwise composite differences are significant"
            + (f" ({escape(diffs.attrs['note'])})" if len(diffs) else "") + ".</p>")


def figure1_page(records: Sequence[ResultsRecord]) -> str:
    """Figure 1 of Schrimpf et al. 2018 over the models in view: the composite against ImageNet top-1."""
    from brainmark.reports.schrimpf2018 import paper_benchmark_notes, top1_correlations
    from brainmark.reports.schrimpf2018_figures import plot_figure1
    from brainmark.reports.schrimpf2018_html import figure_html, html_table

    records = with_2018_composite(records)
    if not any(r.composites for r in records):
        return "<p>No model in this view has a V4, IT or behaviour score: nothing to plot.</p>"
    notes = paper_benchmark_notes(records)
    with tempfile.TemporaryDirectory(prefix="brainmark-figure1-") as folder:
        figure = figure_html(plot_figure1(records, Path(folder), notes=notes), "Brain-Score 2018 vs ImageNet top-1",
                             mention_svg=False)
    stats = top1_correlations(records)
    return (_notes_html(notes) + f'<div id="figure1">{figure}</div>'
            + html_table(stats, "Pearson r across models below and above 70 % top-1 (p: scipy, two-sided); r "
                                "interval over the paired score replicates"))
