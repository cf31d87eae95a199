"""The current view of the board as JSON (also ``/api/leaderboard``), CSV and the BibTeX of its benchmarks.

Every export states the view it is of: JSON under ``"view"``; CSV in ``#`` comment lines before the header (read
it with ``pandas.read_csv(path, comment="#")``): the view's URL, the composite and its weights, the date, the
filters and the benchmarks left out of the composite with the reason.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from brainmark.leaderboard.boardview import BoardView, Interval, ViewRow
from brainmark.leaderboard.store import score_dict

SUMMARY = ("raw", "error", "ceiling", "ceiled", "ceiled_error", "convention")


def _interval(item: Interval | None) -> dict[str, Any]:
    if item is None:
        return {"value": None, "ci": None, "ci_level": None}
    return {"value": item.value, "ci": list(item.ci) if item.ci else None, "ci_level": item.level}


def view_summary(board: BoardView) -> dict[str, Any]:
    """What the view is: composite, effective weights, date, filters, what is left out and why."""
    v = board.view
    return {
        "query": v.query(open=None), "composite": v.composite, "description": board.description,
        "weights": {b.identifier: v.weight(b.identifier) for b in board.benchmarks}
        if v.composite == "weighted" else None,
        "benchmarks_in_view": [b.identifier for b in board.benchmarks], "counted": board.counted,
        "excluded": board.excluded, "as_of": v.as_of.isoformat() if v.as_of else None,
        "filters": {"q": v.q, "family": list(v.family), "training": list(v.training), "trained": v.trained,
                    "params_min_millions": v.params_min, "params_max_millions": v.params_max},
        "ranking": board.stats_note, "notes": board.notes,
    }


def _scores(row: ViewRow, board: BoardView) -> dict[str, Any]:
    out = {}
    for b in board.benchmarks:
        cell = row.cells.get((b.identifier, b.version))
        if cell is None:
            continue
        d = score_dict(cell)
        out[b.identifier] = {k: d[k] for k in SUMMARY} | {
            "ci": d["ci"], "ci_level": d["ci_level"], "version": b.version, "layer": cell.layer,
            "brainmark_version": cell.brainmark_version,
            "scored_at": cell.scored_at.isoformat() if cell.scored_at else None}
    return out


def board_json(board: BoardView) -> dict[str, Any]:
    """The board as JSON: the view, benchmarks, then ranked models with each score's summary and interval (full
    records, with per-split values and provenance, are at ``/api/models/{identifier}``)."""
    return {
        "count": len(board.rows),
        "view": view_summary(board),
        "benchmarks": [{"identifier": b.identifier, "version": b.version, "ceiling": b.ceiling,
                        "group": board.snapshot.groups.get(b.identifier, "other")} for b in board.benchmarks],
        "models": [
            {
                "rank": r.position, "identifier": r.model.identifier, "composite": r.composite.value,
                "composite_ci": list(r.composite.ci) if r.composite.ci else None, "ci_level": r.composite.level,
                "rank_ci": list(r.rank_ci) if r.rank_ci else None, "tied_with_best": r.tied,
                "p_vs_best": r.p_vs_best, "missing": r.missing, "imagenet_top1": r.top1, "public": r.model.public,
                "family": r.facets.family, "parameter_count": r.facets.parameter_count,
                "training_data": r.facets.training_data, "weights": r.facets.weights,
                "groups": {g: _interval(i) for g, i in r.groups.items()}, "scores": _scores(r, board),
            }
            for r in board.rows
        ],
    }


def _num(value: Any) -> Any:
    return "" if value is None else value


def board_csv(board: BoardView, url: str) -> str:
    """The view as CSV: ``#`` lines stating the view, then one row per model (composite, intervals, facets, each
    group's and benchmark's ceiled score with its interval)."""
    summary = view_summary(board)
    buffer = io.StringIO()
    buffer.write(f"# brainmark leaderboard view: {url}\n")
    buffer.write(f"# composite: {board.view.composite} - {board.description}\n")
    if summary["weights"] is not None:
        buffer.write("# weights: " + ", ".join(f"{k}={v:g}" for k, v in summary["weights"].items()) + "\n")
    buffer.write(f"# as of: {summary['as_of'] or 'now'}\n")
    filters = {k: v for k, v in summary["filters"].items() if v not in ("", [], None)}
    buffer.write(f"# filters: {filters or 'none'}\n")
    for name, reason in board.excluded.items():
        buffer.write(f"# not in the composite: {name} ({reason})\n")
    buffer.write(f"# ranking: {board.stats_note}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    head = ["rank", "model", "composite", "composite_ci_low", "composite_ci_high", "ci_level", "tied_with_best",
            "rank_ci_low", "rank_ci_high", "missing", "imagenet_top1", "family", "parameter_count", "training_data",
            "weights"]
    head += [f"{g.name}" for g in board.groups]
    for b in board.benchmarks:
        head += [b.identifier, f"{b.identifier}:ci_low", f"{b.identifier}:ci_high"]
    writer.writerow(head)
    for r in board.rows:
        c = r.composite
        line = [_num(r.position), r.model.identifier, _num(c.value), *(c.ci if c.ci else ("", "")), _num(c.level),
                "" if r.tied is None else str(r.tied).lower(), *(r.rank_ci if r.rank_ci else ("", "")),
                ";".join(r.missing), _num(r.top1), _num(r.facets.family), _num(r.facets.parameter_count),
                _num(r.facets.training_data), r.facets.weights]
        line += [_num(r.groups[g.name].value) for g in board.groups]
        for b in board.benchmarks:
            item = r.interval(b)
            line += [_num(item.value), *(item.ci if item.ci else ("", ""))] if item else ["", "", ""]
        writer.writerow(line)
    return buffer.getvalue()


def board_bibtex(board: BoardView) -> str:
    """The BibTeX entries of the benchmarks in view, each once, with a comment naming the benchmarks that cite it
    (and one naming those that have none recorded)."""
    entries: dict[str, list[str]] = {}
    missing = []
    for b in board.benchmarks:
        text = (b.bibtex or "").strip()
        if text:
            entries.setdefault(text, []).append(f"{b.identifier} v{b.version}")
        else:
            missing.append(b.identifier)
    parts = [f"% cited by {', '.join(names)}\n{text}\n" for text, names in entries.items()]
    if missing:
        parts.append("% no BibTeX recorded for: " + ", ".join(missing) + "\n")
    return "\n".join(parts) or "% no benchmarks in this view\n"
