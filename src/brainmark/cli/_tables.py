"""Rich tables shared by the scoring commands."""
from __future__ import annotations

import math

from rich.table import Table

from brainmark.scoring.results import ResultsRecord


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}f}"


def results_table(record: ResultsRecord) -> Table:
    """benchmark, raw, ceiling, ceiled, error, layer, time; composites at the bottom."""
    table = Table(title=f"brainmark scores: {record.model_identifier}", title_justify="left")
    table.add_column("benchmark", no_wrap=True)
    for name in ("raw", "ceiling", "ceiled", "error"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("layer", overflow="fold")
    table.add_column("time", justify="right", no_wrap=True)
    for r in record.scores:
        s = r.score
        failed = s.meta.get("failed")
        if failed:
            table.add_row(r.benchmark, "[red]failed[/red]", "", "", "", str(failed)[:60], f"{r.seconds or 0:.1f}s")
            continue
        table.add_row(r.benchmark, _fmt(s.raw), _fmt(s.ceiling), _fmt(s.ceiled), _fmt(s.ceiled_error), r.layer or "–",
                      f"{r.seconds:.1f}s" if r.seconds is not None else "–")
    if record.composites:
        table.add_section()
        for c in record.composites:
            table.add_row(f"[bold]{c.identifier}[/bold] v{c.version}", "", "", f"[bold]{_fmt(c.score.ceiled)}[/bold]",
                          _fmt(c.score.ceiled_error), f"{len(c.components)} benchmarks", "")
    convention = {r.score.convention for r in record.scores if r.score.convention}
    if convention:
        table.caption = f"ceiling convention: {', '.join(sorted(convention))}; error = ceiled error"
    return table
