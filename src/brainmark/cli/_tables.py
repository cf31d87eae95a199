"""The score tables of ``brainmark score`` and ``brainmark verify``, fitted to the terminal width."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.markup import escape

from brainmark.cli._output import SECTION, Column

if TYPE_CHECKING:  # scoring imports numpy and xarray: only when a scoring command runs
    from brainmark.scoring.results import ResultsRecord
    from brainmark.scoring.verify import VerifyReport

#: benchmark, raw, ceiling, ceiled always; then error, layer and time, left out in that order from the last.
RESULT_COLUMNS = (
    Column("benchmark"),
    Column("raw", justify="right"),
    Column("ceiling", justify="right"),
    Column("ceiled", justify="right"),
    Column("error", justify="right", drop=1),
    Column("layer", drop=2, shrink="ellipsis", min_width=12),
    Column("time", justify="right", drop=3),
)
VERIFY_COLUMNS = (
    Column("item"),
    Column("field"),
    Column("recorded", shrink="ellipsis", min_width=10),
    Column("recomputed", shrink="ellipsis", min_width=10),
    Column("difference", justify="right", drop=1),
)


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}f}"


def results_rows(record: "ResultsRecord") -> list[list[str]]:
    """The cells of :data:`RESULT_COLUMNS`: one row per benchmark, then a section of composites."""
    rows: list[list[str]] = []
    for r in record.scores:
        s = r.score
        failed = s.meta.get("failed")
        if failed:
            rows.append([r.benchmark, "[red]failed[/red]", "", "", "", escape(str(failed)[:60]), f"{r.seconds or 0:.1f}s"])
            continue
        rows.append([r.benchmark, _fmt(s.raw), _fmt(s.ceiling), _fmt(s.ceiled), _fmt(s.ceiled_error),
                     escape(r.layer) if r.layer else "–", f"{r.seconds:.1f}s" if r.seconds is not None else "–"])
    if record.composites:
        rows.append(list(SECTION))
        for c in record.composites:
            rows.append([f"[bold]{c.identifier}[/bold] v{c.version}", "", "", f"[bold]{_fmt(c.score.ceiled)}[/bold]",
                         _fmt(c.score.ceiled_error), f"{len(c.components)} benchmarks", ""])
    return rows


def results_caption(record: "ResultsRecord") -> str | None:
    """The ceiling conventions of the record's scores, as the table's caption."""
    convention = {r.score.convention for r in record.scores if r.score.convention}
    if not convention:
        return None
    return f"ceiling convention: {', '.join(sorted(convention))}; error = ceiled error"


def verify_rows(report: "VerifyReport") -> list[list[str]]:
    """The cells of :data:`VERIFY_COLUMNS`: one row per difference found."""
    return [[escape(d.item), escape(d.field), escape(repr(d.recorded)), escape(repr(d.recomputed)),
             f"{d.difference:.3g}" if d.difference is not None else "–"] for d in report.differences]
