"""``brainmark benchmarks list|show``."""
from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from brainmark.cli.main import app

benchmarks_app = typer.Typer(help="List and describe benchmarks.", no_args_is_help=True)
app.add_typer(benchmarks_app, name="benchmarks")
console = Console()


@benchmarks_app.command("list")
def list_command(offline: bool = typer.Option(False, "--offline", help="Only benchmarks that need no network.")) -> None:
    """Every registered benchmark: identifier, kind, region, whether its data is offline, description."""
    from brainmark.benchmarks import BENCHMARKS, benchmark_identifiers

    table = Table(title="brainmark benchmarks", title_justify="left")
    table.add_column("identifier", no_wrap=True)
    for col in ("kind", "region", "data", "description"):
        table.add_column(col)
    for identifier in benchmark_identifiers(offline_only=offline):
        f = BENCHMARKS.factory(identifier)
        table.add_row(identifier, getattr(f, "kind", "?"), getattr(f, "region", None) or "–",
                      "offline" if getattr(f, "offline", True) else "online only", getattr(f, "description", ""))
    console.print(table)


@benchmarks_app.command("show")
def show_command(identifier: str) -> None:
    """Details of one benchmark (metric, ceiling, data, citation)."""
    from brainmark.benchmarks import load_benchmark

    try:
        b = load_benchmark(identifier)
    except KeyError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"[bold]{b.identifier}[/bold] (version {b.version}, {b.kind}{', ' + b.region if b.region else ''})")
    console.print(b.description)
    for name in ("metric_name", "ceiling_name", "visual_degrees", "number_of_trials", "stimulus_set", "selection_stimulus_set"):
        if hasattr(b, name):
            console.print(f"  {name}: {getattr(b, name)}")
    console.print(f"  datasets: {', '.join(b.datasets)}")
    console.print(f"  data: {'offline (shipped or mirrored)' if b.offline else 'online only'}")
    if b.bibtex:
        console.print(b.bibtex, markup=False)
