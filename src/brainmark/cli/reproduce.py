"""``brainmark reproduce schrimpf2018`` (a Typer sub-app; ``cli/main.py`` registers it as ``reproduce``)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from brainmark.cli._cluster import (
    BATCH_HELP, DEVICE_HELP, INSECURE_HELP, MODELS_FROM_HELP, SCHEDULER_HELP, WORKERS_HELP, build_executor,
    execution_options, model_names,
)
from brainmark.cli._output import Column, console, print_table
from brainmark.errors import BrainmarkError

app = typer.Typer(help="Reproduce a paper's analyses with the benchmarks available here.", no_args_is_help=True)

TABLE1_COLUMNS = (
    Column("rank", justify="right", drop=3),
    Column("model", shrink="ellipsis", min_width=14),
    Column("Brain-Score", justify="right"),
    Column("V4", justify="right", drop=4),
    Column("IT", justify="right", drop=5),
    Column("behaviour", justify="right", drop=6),
    Column("ImageNet top-1 %", justify="right", drop=2),
    Column("tied with best", justify="right", drop=1),
)


def _log(line: str) -> None:
    console(stderr=True).print(escape(line), highlight=False)


@app.command("schrimpf2018")
def schrimpf2018_command(
    models: Optional[str] = typer.Option(None, "--models", help="Comma-separated models (default: every zoo model "
                                         "with its weights here, and the untrained control of each)."),
    models_from: Optional[Path] = typer.Option(None, "--models-from", help=MODELS_FROM_HELP),
    output: Path = typer.Option(Path("schrimpf2018"), "--output", "-o", help="Folder for report.html, the figures, "
                                "the tables and one results record per model."),
    workers: Optional[int] = typer.Option(None, "--workers", help=WORKERS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help=SCHEDULER_HELP),
    insecure_scheduler: bool = typer.Option(False, "--insecure-scheduler", help=INSECURE_HELP),
    tls_ca_file: Optional[Path] = typer.Option(None, "--tls-ca-file", help="CA certificate of the Dask cluster."),
    tls_cert: Optional[Path] = typer.Option(None, "--tls-cert", help="This client's certificate."),
    tls_key: Optional[Path] = typer.Option(None, "--tls-key", help="This client's private key."),
    device: Optional[str] = typer.Option(None, "--device", help=DEVICE_HELP),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help=BATCH_HELP),
    convention: str = typer.Option("ratio", "--convention", help="Ceiling convention (the paper's: ratio)."),
    resume: bool = typer.Option(True, "--resume/--rescore", help="Keep complete records of an earlier run."),
) -> None:
    """Schrimpf et al. 2018: score models on the 2018 composite; write Table 1, Figures 1-2, correlations, report."""
    from brainmark.reproduce import reproduce_schrimpf2018

    try:
        names = model_names(models, models_from)
        options = execution_options(device, batch_size)
        executor = build_executor(workers, scheduler, insecure_scheduler, tls_ca_file, tls_cert, tls_key)
        try:
            result = reproduce_schrimpf2018(names or None, output, executor=executor, convention=convention,
                                            model_options=options, resume=resume, log=_log)
        finally:
            if executor is not None:
                executor.close()
    except (BrainmarkError, KeyError) as exc:
        console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    _print_summary(result)
    if result.bulk.failed:
        names = "; ".join(f"{m}: {', '.join(b)}" for m, b in result.bulk.failed.items())
        console(stderr=True).print(f"[red]failed[/red] {escape(names)} (rerun to retry them)")
        raise typer.Exit(1)


def _print_summary(result: object) -> None:
    """Table 1 and Figure 1's statistics on the terminal, the notes, and where the files are."""
    from brainmark.reports.schrimpf2018 import format_table1, table1, top1_correlations

    records = result.bulk.records  # type: ignore[attr-defined]
    shown = format_table1(table1(records))
    rows = [[escape(str(v)) for v in row] for row in shown.itertuples(index=False)]
    print_table(TABLE1_COLUMNS, rows, title="Table 1 (Schrimpf et al. 2018), ceiled, 95% intervals",
                hidden_hint=f"all in {result.report['table1.csv']}")  # type: ignore[attr-defined]
    for _, row in top1_correlations(records).iterrows():
        stat = row["note"] or f"r = {row['r']:.2f}, p = {row['p']:.3g}"
        console().print(f"Figure 1, {row['subset']} (n={row['n']}): {stat}", highlight=False)
    for note in result.plan.notes():  # type: ignore[attr-defined]
        console().print(f"[yellow]note[/yellow] {escape(note)}", highlight=False)
    console().print(f"wrote {result.report['html']} ({result.seconds:.0f} s)")  # type: ignore[attr-defined]
