"""The comparison table: one row per model, composites first, then each benchmark's ceiled score."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from brainmark.scoring.bulk import EXECUTION_OPTIONS
from brainmark.scoring.results import ResultsRecord

#: Composites in the order they are shown and sorted by.
COMPOSITE_ORDER = ("brainscore2018", "hierarchical")


def load_records(paths: Iterable[str | Path]) -> list[ResultsRecord]:
    """Read results files; when several score the same model, the newest (by ``created``) wins."""
    by_model: dict[str, ResultsRecord] = {}
    for path in paths:
        record = ResultsRecord.load(path)
        key = _model_key(record)
        if key not in by_model or record.created >= by_model[key].created:
            by_model[key] = record
    return list(by_model.values())


def _model_key(record: ResultsRecord) -> str:
    options = record.model.get("options") or {}
    # the identifier already says "-untrained"; other options (seed, layers...) are shown, but not where the
    # forward passes ran (device, batch size: brainmark.scoring.bulk.EXECUTION_OPTIONS)
    hidden = ("untrained", *EXECUTION_OPTIONS)
    suffix = ",".join(f"{k}={v}" for k, v in sorted(options.items()) if v not in (None, False) and k not in hidden)
    return record.model_identifier + (f" ({suffix})" if suffix else "")


def model_label(record: ResultsRecord) -> str:
    """How a model is named in tables and plots: its identifier and any non-default options."""
    return _model_key(record)


def comparison_table(records: Sequence[ResultsRecord]) -> pd.DataFrame:
    """Models x (composites, benchmarks) of ceiled scores, sorted by the first composite (best first)."""
    rows = []
    benchmarks: list[str] = []
    for record in records:
        row: dict[str, float | str | None] = {"model": model_label(record)}
        for composite in record.composites:
            row[composite.identifier] = composite.score.ceiled
        for result in record.scores:
            row[result.benchmark] = result.score.ceiled
            if result.benchmark not in benchmarks:
                benchmarks.append(result.benchmark)
        top1 = (record.model.get("metadata") or {}).get("imagenet_top1")
        row["imagenet_top1"] = top1
        rows.append(row)
    composites = [c for c in COMPOSITE_ORDER if any(c in r for r in rows)]
    columns = ["model", *composites, *sorted(benchmarks), "imagenet_top1"]
    table = pd.DataFrame(rows, columns=columns)
    if composites:
        table = table.sort_values(composites[0], ascending=False, na_position="last", kind="stable")
    return table.reset_index(drop=True)


def format_value(value: object, digits: int = 3) -> str:
    """A table cell: floats to ``digits`` places, None and NaN as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
