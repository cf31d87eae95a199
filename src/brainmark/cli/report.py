"""``brainmark report results/*.json`` (registered on the main app in ``cli/main.py``)."""
from __future__ import annotations

from pathlib import Path

import typer

from brainmark.cli._output import Column, console, print_table


def report_command(
    results: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Results JSON files."),
    output: Path = typer.Option(Path("report"), "--output", "-o", help="Folder for report.html, plots and report.csv."),
) -> None:
    """Compare models: a table sorted by composite, plots (PNG + SVG) and one self-contained HTML page."""
    from rich.markup import escape

    from brainmark.errors import BrainmarkError
    from brainmark.reports import comparison_table, load_records, write_report
    from brainmark.reports.tables import COMPOSITE_ORDER, format_value

    try:
        records = load_records(results)
    except BrainmarkError as exc:
        console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    frame = comparison_table(records)
    # the model and the composites are always shown; when space is short, the columns on the right
    # (ImageNet top-1, then the benchmarks from the last) are left out
    columns = [Column(str(col), justify="left" if col == "model" else "right",
                      shrink="ellipsis" if col == "model" else None, min_width=16,
                      drop=0 if i == 0 or col in COMPOSITE_ORDER else i)
               for i, col in enumerate(frame.columns)]
    rows = [[escape(format_value(v)) for v in row] for row in frame.itertuples(index=False)]
    print_table(columns, rows, title=f"{len(records)} model(s), ceiled scores",
                hidden_hint=f"all in {output / 'report.csv'}")
    out = write_report(records, output)
    console().print(f"wrote {out['html']} ({len(out['images'])} plot files)")
