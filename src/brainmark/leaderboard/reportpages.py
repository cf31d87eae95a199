"""Pages of the board computed from results records: a registry, so any report function becomes a page.

A report page is a function of the results records of the models in the current view (visible to the visitor,
filtered, on the view's benchmarks, as of the view's date) returning an HTML fragment. It is served at
``/reports/<slug>`` inside the site's layout, linked from the board's tools, and cached per database state and
view for anonymous visitors. Fragments must keep to the Content-Security-Policy: no ``<script>`` and no inline
event handlers; inline SVG and ``<img src="data:...">`` are fine. Escape any text taken from records
(``markupsafe.escape``).

    from brainmark.leaderboard.reportpages import register_report_page

    register_report_page("schrimpf2018-table1", "Table 1 (Schrimpf et al. 2018)",
                         "composite, V4, IT, behaviour and ImageNet top-1 of every model", table1_html)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from brainmark.scoring.results import ResultsRecord

Render = Callable[[Sequence[ResultsRecord]], str]


@dataclass(frozen=True)
class ReportPage:
    """A page of the board made by ``render(records) -> HTML fragment``."""

    slug: str
    title: str
    description: str
    render: Render


#: slug -> page, in the order they are listed on the board.
REPORT_PAGES: dict[str, ReportPage] = {}


def register_report_page(slug: str, title: str, description: str, render: Render, *,
                         replace: bool = False) -> ReportPage:
    """Serve ``render`` at ``/reports/<slug>`` and list it on the board (a taken slug is an error unless
    ``replace``)."""
    if not slug or not all(c.isalnum() or c in "-_" for c in slug):
        raise ValueError(f"a report page slug is letters, digits, '-' and '_', got {slug!r}")
    if slug in REPORT_PAGES and not replace:
        raise ValueError(f"report page {slug!r} is registered already; pass replace=True to replace it")
    page = ReportPage(slug, title, description, render)
    REPORT_PAGES[slug] = page
    return page


def _register_builtin() -> None:
    from brainmark.leaderboard.correlations import correlation_page

    register_report_page("correlations", "Benchmark correlations",
                         "which benchmarks agree: the correlation of every pair of benchmarks across the models in "
                         "view, with each benchmark's split-half reliability", correlation_page, replace=True)
    from brainmark.leaderboard.paperpages import figure1_page, table1_page

    register_report_page("schrimpf2018-table1", "Table 1 (Schrimpf et al. 2018)",
                         "the 2018 composite, V4, IT, behaviour and ImageNet top-1 of every model in view, with "
                         "intervals, rank intervals and which differences are real", table1_page, replace=True)
    register_report_page("schrimpf2018-figure1", "Figure 1 (Schrimpf et al. 2018)",
                         "the 2018 composite against ImageNet top-1, with the correlations below and above 70 % "
                         "top-1", figure1_page, replace=True)


_register_builtin()
