"""``brainmark report results/*.json``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from brainmark.cli.main import app

console = Console()


@app.command("report")
def report_command(
    results: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Results JSON files."),
    output: Path = typer.Option(Path("report"), "--output", "-o", help="Folder for report.html, plots and report.csv."),
) -> None:
    """Compare models: a table sorted by composite, plots (PNG + SVG) and one self-contained HTML page."""
    from brainmark.errors import BrainmarkError
    from brainmark.reports import comparison_table, load_records, write_report
    from brainmark.reports.tables import format_value

    try:
        records = load_records(results)
    except BrainmarkError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    frame = comparison_table(records)
    table = Table(title=f"{len(records)} model(s), ceiled scores", title_justify="left")
    for col in frame.columns:
        table.add_column(str(col), justify="left" if col == "model" else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(format_value(v) for v in row))
    console.print(table)
    out = write_report(records, output)
    console.print(f"wrote {out['html']} ({len(out['images'])} plot files)")
