"""``brainmark score``, ``brainmark verify`` and ``brainmark demo`` (registered on the main app in ``cli/main.py``)."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from brainmark.cli._cluster import (
    BATCH_HELP, DEVICE_HELP, INSECURE_HELP, MODELS_FROM_HELP, MODELS_HELP, SCHEDULER_HELP, WORKERS_HELP,
    build_executor, execution_options, model_names,
)
from brainmark.cli._output import console, print_table
from brainmark.errors import BrainmarkError

if TYPE_CHECKING:  # scoring imports numpy and xarray: only when a command runs
    from brainmark.scoring.results import ResultsRecord

#: ``brainmark.scores.DEFAULT_CONVENTION`` and ``CEILING_CONVENTIONS``, written out so that building the command
#: line does not import the scoring stack (numpy, xarray); tests/cli/test_cli_app.py keeps them equal.
DEFAULT_CONVENTION = "ratio"
CONVENTION_HELP = "Ceiling convention: ratio, squared-ratio, explained-variance."

DEMO_MODEL = "efficientnet-lite0"


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "model"


def _output_paths(output: Path, model_name: str) -> tuple[Path, Path, Path]:
    """(json, csv, folder for plots) from ``--output``: a .json file or a folder."""
    if output.suffix.lower() == ".json":
        return output, output.with_suffix(".csv"), output.parent
    stem = _safe_name(model_name)
    return output / f"{stem}.json", output / f"{stem}.csv", output


def _model_options(untrained: bool, layers: Optional[list[str]]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if untrained:
        options["untrained"] = True
    return options


def write_outputs(record: "ResultsRecord", output: Path, *, plots: bool = True) -> list[Path]:
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


def score_command(
    model: Optional[str] = typer.Argument(None, help="Model identifier (see `brainmark models list`), or path/to/file.py:factory; omit with --models."),
    benchmarks: Optional[list[str]] = typer.Argument(None, help="Benchmark identifiers (default: every offline benchmark)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="results.json (CSV written beside it) or a folder (one <model>.json per model)."),
    untrained: bool = typer.Option(False, "--untrained", help="Random (seeded) weights: the untrained control."),
    convention: str = typer.Option(DEFAULT_CONVENTION, "--convention", help=CONVENTION_HELP),
    data: Optional[Path] = typer.Option(None, "--data", help="Your recordings (netCDF presentation x neuroid [x repetition]) or matrices for --metric rsa."),
    stimuli: Optional[Path] = typer.Option(None, "--stimuli", help="Your stimuli: CSV with stimulus_id and an image path column."),
    metric: str = typer.Option("pls", "--metric", help="Metric for --data (pls, ridge, linear; rsa for matrices)."),
    region: Optional[str] = typer.Option(None, "--region", help="Region of --data (default: its region coordinate, else IT)."),
    degrees: float = typer.Option(8.0, "--degrees", help="Visual degrees the --stimuli spanned."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Also write plots and an HTML report with --output."),
    keep_going: bool = typer.Option(True, "--keep-going/--fail-fast", help="Record a failed benchmark and continue."),
    models: Optional[str] = typer.Option(None, "--models", help=MODELS_HELP),
    models_from: Optional[Path] = typer.Option(None, "--models-from", help=MODELS_FROM_HELP),
    workers: Optional[int] = typer.Option(None, "--workers", help=WORKERS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help=SCHEDULER_HELP),
    insecure_scheduler: bool = typer.Option(False, "--insecure-scheduler", help=INSECURE_HELP),
    tls_ca_file: Optional[Path] = typer.Option(None, "--tls-ca-file", help="CA certificate of the Dask cluster."),
    tls_cert: Optional[Path] = typer.Option(None, "--tls-cert", help="This client's certificate."),
    tls_key: Optional[Path] = typer.Option(None, "--tls-key", help="This client's private key."),
    device: Optional[str] = typer.Option(None, "--device", help=DEVICE_HELP),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help=BATCH_HELP),
    resume: bool = typer.Option(True, "--resume/--rescore", help="With several models and --output: keep complete records of an earlier run."),
) -> None:
    """Score MODEL (or --models a,b,c) on benchmarks, or on your own data with --data/--stimuli; print the table."""
    from brainmark.scoring import score_model

    try:
        names = model_names(models, models_from)
        if names and model is not None:  # with --models every positional argument is a benchmark
            benchmarks = [model, *(benchmarks or [])]
        if not names and model is None:
            raise typer.BadParameter("name a MODEL, or several with --models a,b,c / --models-from FILE")
        options = {**_model_options(untrained, None), **execution_options(device, batch_size)}
        if data is not None and (workers is not None or scheduler is not None):
            raise BrainmarkError("--data/--stimuli register a benchmark in this process only; score them without "
                                 "--workers/--scheduler")
        if data is not None or stimuli is not None:
            if data is None or stimuli is None:
                raise typer.BadParameter("--data and --stimuli go together")
            from brainmark.benchmarks.custom import register_custom_benchmark

            ids = [register_custom_benchmark(data, stimuli, metric=metric, region=region, degrees=degrees)]
        else:
            ids = _checked_benchmarks(benchmarks)
        executor = build_executor(workers, scheduler, insecure_scheduler, tls_ca_file, tls_cert, tls_key)
        if names or executor is not None:
            from brainmark.cli.bulk import bulk_score

            bulk_score(names or [model], ids, output=output, executor=executor, options=options,
                       convention=convention, keep_going=keep_going, resume=resume, plots=plots)
            return
        record = score_model(model, ids, model_options=options, convention=convention,
                             errors="record" if keep_going else "raise")
    except (BrainmarkError, KeyError) as exc:  # KeyError: unknown identifiers, the registry lists close matches
        console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    _print_results(record)
    if output is not None:
        written = write_outputs(record, output, plots=plots)
        console().print(f"wrote {', '.join(str(p) for p in written[:3])}{' and plots' if len(written) > 3 else ''}")
    failed = [r.benchmark for r in record.scores if r.score.meta.get("failed")]
    if failed:
        console(stderr=True).print(f"[red]{len(failed)} benchmark(s) failed:[/red] {', '.join(failed)}")
        raise typer.Exit(1)


def _checked_benchmarks(benchmarks: Optional[list[str]]) -> Optional[list[str]]:
    """The benchmark identifiers given (None: every offline one); an unknown one is an error naming close matches."""
    ids = list(benchmarks) if benchmarks else None
    if ids:
        from brainmark.benchmarks import BENCHMARKS, benchmark_identifiers

        benchmark_identifiers()  # registers the built-in ones
        for identifier in ids:
            BENCHMARKS.factory(identifier)  # unknown -> error listing close matches
    return ids


def _print_results(record: "ResultsRecord") -> None:
    """The score table: benchmarks, then the composites, fitted to the width."""
    from brainmark.cli._tables import RESULT_COLUMNS, results_caption, results_rows

    print_table(RESULT_COLUMNS, results_rows(record), title=f"brainmark scores: {record.model_identifier}",
                caption=results_caption(record), hidden_hint="the results JSON has every field")


def verify_command(
    results: Path = typer.Argument(..., exists=True, dir_okay=False, help="A results.json written by `brainmark score`."),
    tolerance: float = typer.Option(0.0, "--tolerance", help="Largest accepted absolute difference (0: bit-identical)."),
) -> None:
    """Recompute every score in RESULTS and report any difference."""
    from brainmark.scoring.verify import verify

    try:
        report = verify(results, tolerance=tolerance)
    except BrainmarkError as exc:
        console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if report.differences:
        from brainmark.cli._tables import VERIFY_COLUMNS, verify_rows

        print_table(VERIFY_COLUMNS, verify_rows(report), title=f"verify {results}")
        console(stderr=True).print(f"[red]{len(report.differences)} difference(s)[/red] over {report.compared} "
                                   f"compared values (tolerance {tolerance})")
        raise typer.Exit(1)
    console().print(f"[green]identical[/green]: {report.compared} values over {report.n_scores} benchmark scores and "
                  f"{report.n_composites} composites match (tolerance {tolerance})")


def demo_command(
    output: Path = typer.Option(Path("results"), "--output", "-o", help="Folder for the JSON, CSV and plots."),
    model: str = typer.Option(DEMO_MODEL, "--model", help="Model to score."),
) -> None:
    """The README's main job: score EfficientNet-Lite0 on every offline benchmark; write results/."""
    start, cpu = time.perf_counter(), time.process_time()
    try:
        score_command(model=model, benchmarks=None, output=output, untrained=False, convention=DEFAULT_CONVENTION,
                      data=None, stimuli=None, metric="pls", region=None, degrees=8.0, plots=True, keep_going=True,
                      models=None, models_from=None, workers=None, scheduler=None, insecure_scheduler=False,
                      tls_ca_file=None, tls_cert=None, tls_key=None, device=None, batch_size=None, resume=True)
    finally:
        console().print(f"demo finished in {time.perf_counter() - start:.0f} s wall-clock "
                      f"({time.process_time() - cpu:.0f} s CPU in this process)")

