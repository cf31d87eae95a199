"""``brainmark benchmarks list|show`` (registered on the main app in ``cli/main.py``)."""
from __future__ import annotations

from typing import Any

import typer

from brainmark.cli._output import FORMAT_HELP, Column, OutputFormat, console, emit_records

app = typer.Typer(help="List and describe benchmarks.", no_args_is_help=True)

COLUMNS = (
    Column("identifier"),
    Column("kind", drop=2),
    Column("region", render=lambda v: v or "–"),
    Column("data", key="offline", drop=1, render=lambda v: "offline" if v else "online only"),
    Column("description", shrink="ellipsis", min_width=12),
)


def benchmark_records(offline: bool = False) -> list[dict[str, Any]]:
    """One record per registered benchmark: identifier, kind, region, offline, description."""
    from brainmark.benchmarks import BENCHMARKS, benchmark_identifiers

    records = []
    for identifier in benchmark_identifiers(offline_only=offline):
        f = BENCHMARKS.factory(identifier)
        records.append({"identifier": identifier, "kind": getattr(f, "kind", "?"), "region": getattr(f, "region", None),
                        "offline": bool(getattr(f, "offline", True)), "description": getattr(f, "description", "")})
    return records


@app.command("list")
def list_command(
    offline: bool = typer.Option(False, "--offline", help="Only benchmarks that need no network."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
) -> None:
    """Every registered benchmark: identifier, kind, region, whether its data is offline, description."""
    emit_records(benchmark_records(offline), COLUMNS, fmt, title="brainmark benchmarks")


@app.command("show")
def show_command(identifier: str) -> None:
    """Details of one benchmark (metric, ceiling, data, citation)."""
    from brainmark.benchmarks import load_benchmark

    try:
        b = load_benchmark(identifier)
    except KeyError as exc:
        console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    out = console()
    out.print(f"[bold]{b.identifier}[/bold] (version {b.version}, {b.kind}{', ' + b.region if b.region else ''})")
    out.print(b.description)
    for name in ("metric_name", "ceiling_name", "visual_degrees", "number_of_trials", "stimulus_set", "selection_stimulus_set"):
        if hasattr(b, name):
            out.print(f"  {name}: {getattr(b, name)}")
    out.print(f"  datasets: {', '.join(b.datasets)}")
    out.print(f"  data: {'offline (shipped or mirrored)' if b.offline else 'online only'}")
    if b.bibtex:
        out.print(b.bibtex, markup=False)
