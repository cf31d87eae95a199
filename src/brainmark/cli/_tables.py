"""The score tables of ``brainmark score`` and ``brainmark verify``, fitted to the terminal width."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.markup import escape

from brainmark.cli._output import SECTION, Column

if TYPE_CHECKING:  # scoring imports numpy and xarray: only when a scoring command runs
    from brainmark.scoring.results import ResultsRecord
    from brainmark.scoring.verify import VerifyReport

#: benchmark, ceiled and its interval always; time, layer, error, ceiling and raw are left out in that order when
#: the table does not fit.
RESULT_COLUMNS = (
    Column("benchmark"),
    Column("raw", justify="right", drop=2),
    Column("ceiling", justify="right", drop=3),
    Column("ceiled", justify="right"),
    Column("interval", justify="right"),
    Column("error", justify="right", drop=4),
    Column("layer", drop=5, shrink="ellipsis", min_width=12),
    Column("time", justify="right", drop=6),
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


def _interval(ci: tuple[float, float] | None) -> str:
    return "–" if ci is None else f"[{_fmt(ci[0])}, {_fmt(ci[1])}]"


def results_rows(record: "ResultsRecord") -> list[list[str]]:
    """The cells of :data:`RESULT_COLUMNS`: one row per benchmark, then a section of composites."""
    rows: list[list[str]] = []
    for r in record.scores:
        s = r.score
        failed = s.meta.get("failed")
        if failed:
            rows.append([r.benchmark, "[red]failed[/red]", "", "", "", "", escape(str(failed)[:60]),
                         f"{r.seconds or 0:.1f}s"])
            continue
        rows.append([r.benchmark, _fmt(s.raw), _fmt(s.ceiling), _fmt(s.ceiled), _interval(s.ci), _fmt(s.ceiled_error),
                     escape(r.layer) if r.layer else "–", f"{r.seconds:.1f}s" if r.seconds is not None else "–"])
    if record.composites:
        rows.append(list(SECTION))
        for c in record.composites:
            rows.append([f"[bold]{c.identifier}[/bold] v{c.version}", "", "", f"[bold]{_fmt(c.score.ceiled)}[/bold]",
                         _interval(c.score.ci), _fmt(c.score.ceiled_error), f"{len(c.components)} benchmarks", ""])
    return rows


def results_caption(record: "ResultsRecord") -> str | None:
    """The ceiling conventions and the interval level of the record's scores, as the table's caption."""
    convention = {r.score.convention for r in record.scores if r.score.convention}
    levels = {r.score.ci_level for r in record.scores if r.score.ci_level}
    parts = [f"ceiling convention: {', '.join(sorted(convention))}"] if convention else []
    if levels:
        parts.append(f"interval: {', '.join(f'{x:.0%}' for x in sorted(levels))} bootstrap of the ceiled value "
                     "(stimuli and units resampled, ceiling included)")
    parts.append("error = ceiled error")
    return "; ".join(parts)


def verify_rows(report: "VerifyReport") -> list[list[str]]:
    """The cells of :data:`VERIFY_COLUMNS`: one row per difference found."""
    return [[escape(d.item), escape(d.field), escape(repr(d.recorded)), escape(repr(d.recomputed)),
             f"{d.difference:.3g}" if d.difference is not None else "–"] for d in report.differences]
