"""``brainmark score --models a,b,c`` (and ``--workers`` / ``--scheduler``): many models, one record each.

Called by ``score_command`` in ``cli/score.py`` when several models are named or a Dask cluster is asked for.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

import typer
from rich.markup import escape

from brainmark.cli._output import Column, console, print_table
from brainmark.errors import BrainmarkError

if TYPE_CHECKING:
    from brainmark.scoring.bulk import BulkResult

SUMMARY_COLUMNS = (
    Column("model", shrink="ellipsis", min_width=16),
    Column("brainscore2018", justify="right"),
    Column("interval", justify="right", drop=2),
    Column("hierarchical", justify="right", drop=3),
    Column("benchmarks", justify="right"),
    Column("record", shrink="ellipsis", min_width=12, drop=1),
)


def _value(record: Any, name: str) -> Any:
    return next((c.score for c in record.composites if c.identifier == name), None)


def summary_rows(result: "BulkResult") -> list[list[str]]:
    """One row per model: its composites, how many benchmarks ran / failed, and where its record is."""
    from brainmark.cli._tables import _fmt, _interval

    rows = []
    for label, record in zip(result.labels, result.records):
        main, other = _value(record, "brainscore2018"), _value(record, "hierarchical")
        failed = [s.benchmark for s in record.scores if s.score.meta.get("failed")]
        count = f"{len(record.scores) - len(failed)}/{len(record.scores)}" + (" [red]failed[/red]" if failed else "")
        where = result.paths.get(label)
        if label in result.skipped:
            where = "kept (complete)"
        rows.append([escape(record.model_identifier), _fmt(main.ceiled) if main else "–", _interval(main.ci) if main else "–",
                     _fmt(other.ceiled) if other else "–", count, escape(str(where)) if where else "–"])
    return rows


def _log(line: str) -> None:
    console(stderr=True).print(escape(line), highlight=False)


def bulk_score(models: Sequence[str], benchmarks: Optional[list[str]], *, output: Optional[Path], executor: Any,
               options: dict[str, Any], convention: str, keep_going: bool, resume: bool, plots: bool) -> None:
    """Score ``models`` with :func:`brainmark.scoring.score_models`, print one row per model, write the records."""
    from brainmark.scoring import score_models

    if output is not None and output.suffix.lower() == ".json":
        raise BrainmarkError(f"--output {output}: with --models, --workers or --scheduler the output is a folder "
                             "(one <model>.json each), not a file")
    try:
        result = score_models(models, benchmarks, executor=executor, output=output, convention=convention,
                              errors="record" if keep_going else "raise", model_options=options, resume=resume,
                              log=_log)
    finally:
        if executor is not None:
            executor.close()
    print_table(SUMMARY_COLUMNS, summary_rows(result), title=f"brainmark scores: {len(result.records)} models",
                caption=f"{result.seconds:.0f} s wall time; ceiled scores, intervals from the bootstrap replicates",
                hidden_hint="each model's JSON has every field")
    if output is not None and plots and result.records:
        from brainmark.reports import write_report

        written = write_report(result.records, output)
        console().print(f"wrote {written['html']} and {len(written['images'])} plot files")
    if result.failed:
        names = "; ".join(f"{m}: {', '.join(b)}" for m, b in result.failed.items())
        console(stderr=True).print(f"[red]failed[/red] {escape(names)}")
        raise typer.Exit(1)
