"""``brainmark compare A.json B.json [...]``: which differences between models are real."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from brainmark.cli._output import Column, console, print_table
from brainmark.errors import BrainmarkError


def _num(value: float, digits: int = 3, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _interval(ci: tuple[float, float], digits: int = 3, signed: bool = False) -> str:
    return f"[{_num(ci[0], digits, signed)}, {_num(ci[1], digits, signed)}]"


def _p(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def print_comparisons(report: Any) -> None:
    """One row per pair and benchmark or composite: difference, interval, p and adjusted p."""
    level = f"{report.level:.0%}"
    columns = (Column("a", shrink="fold", min_width=12), Column("b", shrink="fold", min_width=12),
               Column("benchmark", shrink="fold", min_width=14), Column("difference", justify="right"),
               Column(f"{level} CI", justify="right", drop=1), Column("p", justify="right", drop=2),
               Column("p adj.", justify="right"))
    rows, styles = [], []
    for c in report.comparisons:
        significant = math.isfinite(c.p_adjusted) and c.p_adjusted < report.alpha
        styles.append("bold" if significant else None)
        name = (escape(f"{c.benchmark}{' *' if c.note else ''}") if c.kind == "benchmark"
                else f"[italic]{escape(c.benchmark)}[/italic]")
        rows.append([escape(c.a), escape(c.b), name, _num(c.difference, signed=True), _interval(c.ci, signed=True),
                     _p(c.p), _p(c.p_adjusted)])
    print_table(columns, rows, styles=styles, title=f"paired comparisons (a - b; {level} intervals; p adjusted by "
                f"{report.adjust})", caption=f"bold: significant at {report.alpha} after adjustment; italic: composites")


def print_ranking(ranking: Any, level: float) -> None:
    """Models in rank order with intervals, shading the group tied with the best."""
    direction = "higher is better" if ranking.higher_is_better else "lower is better"
    columns = (Column("rank", justify="right"), Column("model", shrink="fold", min_width=14),
               Column("score", justify="right"), Column(f"{level:.0%} CI", justify="right", drop=1),
               Column("rank interval", justify="right", drop=2), Column("tied with best", justify="center"))
    rows = [[f"{row.rank:g}", escape(row.model), _num(row.value), _interval(row.ci),
             f"{row.rank_ci[0]:g}-{row.rank_ci[1]:g}", "yes" if row.tied_with_best else ""] for row in ranking.rows]
    caption = None
    if ranking.left_out:
        caption = "not in this ranking: " + "; ".join(f"{m}: {', '.join(b)}" for m, b in ranking.left_out.items())
    print_table(columns, rows, styles=["green" if row.tied_with_best else None for row in ranking.rows],
                title=f"ranking on {ranking.composite} ({direction}; over {len(ranking.benchmarks)} benchmarks "
                      "every model scored)", caption=caption and escape(caption))


def print_reliability(report: Any) -> None:
    """Per benchmark: how reliably it orders the compared models."""
    columns = (Column("benchmark", shrink="fold", min_width=14), Column("reliability", justify="right"),
               Column("models", justify="right"))
    rows = [[escape(r.benchmark), _num(r.reliability, 2), str(r.n_models)] for r in report.reliability]
    print_table(columns, rows, title="benchmark reliability (split-half over stimuli, Spearman-Brown; across models)")


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

    try:
        report = compare(records, adjust=adjust, alpha=alpha)
    except BrainmarkError as exc:
        console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    print_comparisons(report)
    for ranking in report.rankings:
        if composite is None or ranking.composite == composite:
            print_ranking(ranking, report.level)
    if report.reliability:
        print_reliability(report)
    out = console()
    for note in report.notes:
        out.print(f"note: {note}")
    if json_file is not None:
        with atomic_write(json_file, "w") as f:
            f.write(dumps(report.to_dict()))
        out.print(f"wrote {json_file}")
