"""``brainmark score``, ``brainmark verify`` and ``brainmark demo``."""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from brainmark.cli.main import app
from brainmark.errors import BrainmarkError
from brainmark.scores import CEILING_CONVENTIONS, DEFAULT_CONVENTION

err_console = Console(stderr=True)


class _Console:
    """stdout console, 140 columns wide when not a terminal (logs, pipes) unless COLUMNS says otherwise."""

    def print(self, *args, **kwargs) -> None:
        wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
        Console(width=140 if wide else None).print(*args, **kwargs)


console = _Console()

DEMO_MODEL = "efficientnet-lite0"


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "model"


def _output_paths(output: Path, model_name: str) -> tuple[Path, Path, Path]:
    """(json, csv, folder for plots) from ``--output``: a .json file or a folder."""
    if output.suffix.lower() == ".json":
        return output, output.with_suffix(".csv"), output.parent
    stem = _safe_name(model_name)
    return output / f"{stem}.json", output / f"{stem}.csv", output


def _model_options(untrained: bool, layers: Optional[list[str]]) -> dict:
    options: dict = {}
    if untrained:
        options["untrained"] = True
    return options


def write_outputs(record, output: Path, *, plots: bool = True) -> list[Path]:
    """JSON + CSV (+ report plots and HTML when ``plots``) for one results record."""
    json_path, csv_path, folder = _output_paths(output, record.model_identifier)
    record.save(json_path)
    record.save_csv(csv_path)
    written = [json_path, csv_path]
    if plots:
        from brainmark.reports import load_records, write_report

        records = [record]
        if output.suffix.lower() != ".json":  # a results folder: the report compares every model in it
            records = load_records(_results_files(folder))
        out = write_report(records, folder)
        written += [out["html"], *out["images"]]
    return written


def _results_files(folder: Path) -> list[Path]:
    """The brainmark results records among the JSON files of ``folder``."""
    import json

    files = []
    for path in sorted(folder.glob("*.json")):
        try:
            if json.loads(path.read_text()).get("schema", "").startswith("brainmark.results/"):
                files.append(path)
        except (ValueError, AttributeError, OSError):
            continue
    return files


@app.command("score")
def score_command(
    model: str = typer.Argument(..., help="Model identifier (see `brainmark models list`), or path/to/file.py:factory."),
    benchmarks: Optional[list[str]] = typer.Argument(None, help="Benchmark identifiers (default: every offline benchmark)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="results.json (CSV written beside it) or a folder."),
    untrained: bool = typer.Option(False, "--untrained", help="Random (seeded) weights: the untrained control."),
    convention: str = typer.Option(DEFAULT_CONVENTION, "--convention", help=f"Ceiling convention: {', '.join(CEILING_CONVENTIONS)}."),
    data: Optional[Path] = typer.Option(None, "--data", help="Your recordings: netCDF DataArray presentation x neuroid [x repetition]."),
    stimuli: Optional[Path] = typer.Option(None, "--stimuli", help="Your stimuli: CSV with stimulus_id and an image path column."),
    metric: str = typer.Option("pls", "--metric", help="Metric for --data (pls, ridge, linear)."),
    region: Optional[str] = typer.Option(None, "--region", help="Region of --data (default: its region coordinate, else IT)."),
    degrees: float = typer.Option(8.0, "--degrees", help="Visual degrees the --stimuli spanned."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Also write plots and an HTML report with --output."),
    keep_going: bool = typer.Option(True, "--keep-going/--fail-fast", help="Record a failed benchmark and continue."),
) -> None:
    """Score MODEL on benchmarks (or on your own data with --data/--stimuli) and print the table."""
    from brainmark.scoring import score_model

    options = _model_options(untrained, None)
    try:
        if data is not None or stimuli is not None:
            if data is None or stimuli is None:
                raise typer.BadParameter("--data and --stimuli go together")
            from brainmark.benchmarks.custom import register_custom_benchmark

            ids = [register_custom_benchmark(data, stimuli, metric=metric, region=region, degrees=degrees)]
        else:
            ids = list(benchmarks) if benchmarks else None
            if ids:
                from brainmark.benchmarks import BENCHMARKS, benchmark_identifiers

                benchmark_identifiers()  # registers the built-in ones
                for identifier in ids:
                    BENCHMARKS.factory(identifier)  # unknown -> error listing close matches
        record = score_model(model, ids, model_options=options, convention=convention,
                             errors="record" if keep_going else "raise")
    except BrainmarkError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except KeyError as exc:  # unknown identifiers: the registry's message lists close matches
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(_results_table(record))
    if output is not None:
        written = write_outputs(record, output, plots=plots)
        console.print(f"wrote {', '.join(str(p) for p in written[:3])}{' and plots' if len(written) > 3 else ''}")
    failed = [r.benchmark for r in record.scores if r.score.meta.get("failed")]
    if failed:
        err_console.print(f"[red]{len(failed)} benchmark(s) failed:[/red] {', '.join(failed)}")
        raise typer.Exit(1)


def _results_table(record):
    from brainmark.cli._tables import results_table

    return results_table(record)


@app.command("verify")
def verify_command(
    results: Path = typer.Argument(..., exists=True, dir_okay=False, help="A results.json written by `brainmark score`."),
    tolerance: float = typer.Option(0.0, "--tolerance", help="Largest accepted absolute difference (0: bit-identical)."),
) -> None:
    """Recompute every score in RESULTS and report any difference."""
    from brainmark.scoring.verify import verify

    try:
        report = verify(results, tolerance=tolerance)
    except BrainmarkError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    from rich.table import Table

    table = Table(title=f"verify {results}", title_justify="left")
    for col in ("item", "field", "recorded", "recomputed", "difference"):
        table.add_column(col)
    for d in report.differences:
        table.add_row(d.item, d.field, repr(d.recorded), repr(d.recomputed), f"{d.difference:.3g}" if d.difference is not None else "–")
    if report.differences:
        console.print(table)
        err_console.print(f"[red]{len(report.differences)} difference(s)[/red] over {report.compared} compared values "
                          f"(tolerance {tolerance})")
        raise typer.Exit(1)
    console.print(f"[green]identical[/green]: {report.compared} values over {report.n_scores} benchmark scores and "
                  f"{report.n_composites} composites match (tolerance {tolerance})")


@app.command("demo")
def demo_command(
    output: Path = typer.Option(Path("results"), "--output", "-o", help="Folder for the JSON, CSV and plots."),
    model: str = typer.Option(DEMO_MODEL, "--model", help="Model to score."),
) -> None:
    """The README's main job: score EfficientNet-Lite0 on every offline benchmark; write results/."""
    start, cpu = time.perf_counter(), time.process_time()
    try:
        score_command(model=model, benchmarks=None, output=output, untrained=False, convention=DEFAULT_CONVENTION,
                      data=None, stimuli=None, metric="pls", region=None, degrees=8.0, plots=True, keep_going=True)
    finally:
        console.print(f"demo finished in {time.perf_counter() - start:.0f} s wall-clock "
                      f"({time.process_time() - cpu:.0f} s CPU in this process)")


# the sibling command modules of this layer register themselves on import
from brainmark.cli import benchmarks as _benchmarks  # noqa: E402,F401
from brainmark.cli import report as _report  # noqa: E402,F401
