"""``brainmark compare A.json B.json [...]``: which differences between models are real."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from brainmark.errors import BrainmarkError


def _num(value: float, digits: int = 3, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _interval(ci, digits: int = 3, signed: bool = False) -> str:
    return f"[{_num(ci[0], digits, signed)}, {_num(ci[1], digits, signed)}]"


def _p(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def comparisons_table(report) -> Table:  # noqa: ANN001
    """One row per pair and benchmark or composite: difference, interval, p and adjusted p."""
    level = f"{report.level:.0%}"
    table = Table(title=f"paired comparisons (a - b; {level} intervals; p adjusted by {report.adjust})",
                  title_justify="left")
    for name, justify in (("a", "left"), ("b", "left"), ("benchmark", "left"), ("difference", "right"),
                          (f"{level} CI", "right"), ("p", "right"), ("p adj.", "right")):
        table.add_column(name, justify=justify, overflow="fold")
    for c in report.comparisons:
        significant = math.isfinite(c.p_adjusted) and c.p_adjusted < report.alpha
        style = "bold" if significant else None
        name = f"{c.benchmark}{' *' if c.note else ''}" if c.kind == "benchmark" else f"[italic]{c.benchmark}[/italic]"
        table.add_row(c.a, c.b, name, _num(c.difference, signed=True), _interval(c.ci, signed=True), _p(c.p),
                      _p(c.p_adjusted), style=style)
    table.caption = f"bold: significant at {report.alpha} after adjustment; italic: composites"
    return table


def ranking_table(ranking, level: float) -> Table:  # noqa: ANN001
    """Models in rank order with intervals, shading the group tied with the best."""
    direction = "higher is better" if ranking.higher_is_better else "lower is better"
    table = Table(title=f"ranking on {ranking.composite} ({direction}; over {len(ranking.benchmarks)} benchmarks "
                        "every model scored)", title_justify="left")
    for name, justify in (("rank", "right"), ("model", "left"), ("score", "right"), (f"{level:.0%} CI", "right"),
                          ("rank interval", "right"), ("tied with best", "center")):
        table.add_column(name, justify=justify, overflow="fold")
    for row in ranking.rows:
        table.add_row(f"{row.rank:g}", row.model, _num(row.value), _interval(row.ci),
                      f"{row.rank_ci[0]:g}-{row.rank_ci[1]:g}", "yes" if row.tied_with_best else "",
                      style="green" if row.tied_with_best else None)
    if ranking.left_out:
        table.caption = "not in this ranking: " + "; ".join(f"{m}: {', '.join(b)}" for m, b in ranking.left_out.items())
    return table


def reliability_table(report) -> Table:  # noqa: ANN001
    """Per benchmark: how reliably it orders the compared models."""
    table = Table(title="benchmark reliability (split-half over stimuli, Spearman-Brown; across models)",
                  title_justify="left")
    table.add_column("benchmark", overflow="fold")
    table.add_column("reliability", justify="right")
    table.add_column("models", justify="right")
    for r in report.reliability:
        table.add_row(r.benchmark, _num(r.reliability, 2), str(r.n_models))
    return table


def compare_command(
    records: list[Path] = typer.Argument(..., help="Results records (JSON), one per model; at least two."),
    adjust: str = typer.Option("holm", "--adjust", help="p-value adjustment across comparisons: holm, bh or none."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level (tied-with-best group, bold rows)."),
    json_file: Optional[Path] = typer.Option(None, "--json", help="Also write the comparisons as JSON to this file."),
    composite: Optional[str] = typer.Option(None, "--composite", help="Show only this composite's ranking."),
) -> None:
    """Paired bootstrap comparisons of models, rankings with intervals, and benchmark reliability."""
    from brainmark._io import atomic_write
    from brainmark._json import dumps
    from brainmark.scoring.compare import compare

    console = Console()
    try:
        report = compare(records, adjust=adjust, alpha=alpha)
    except BrainmarkError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(comparisons_table(report))
    for ranking in report.rankings:
        if composite is None or ranking.composite == composite:
            console.print(ranking_table(ranking, report.level))
    if report.reliability:
        console.print(reliability_table(report))
    for note in report.notes:
        console.print(f"note: {note}")
    if json_file is not None:
        with atomic_write(json_file, "w") as f:
            f.write(dumps(report.to_dict()))
        console.print(f"wrote {json_file}")
