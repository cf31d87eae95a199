"""``brainmark cache list|clear``: the content-addressed activation cache (registered in ``cli/main.py``)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import typer

from brainmark.cli._output import FORMAT_HELP, Column, OutputFormat, console, emit_records

app = typer.Typer(help="Inspect or clear cached model activations.", no_args_is_help=True)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _created(timestamp: float | None) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "?"


COLUMNS = (
    Column("model", shrink="ellipsis", min_width=16),
    Column("layer", shrink="ellipsis", min_width=12),
    Column("stimuli", shrink="ellipsis", min_width=12),
    Column("shape", render=lambda v: "x".join(map(str, v))),
    Column("reduction", drop=3, shrink="ellipsis", min_width=8),
    Column("size", key="bytes", justify="right", render=_size),
    Column("created", drop=1, render=_created),
    Column("key", drop=2, render=lambda v: v[:12]),
)


def cache_records(model: Optional[str] = None) -> tuple[str, list[dict[str, Any]]]:
    """The cache folder and one record per complete entry (all of them, or one model's)."""
    from brainmark.models.cache import ActivationCache

    cache = ActivationCache()
    rows = [r for r in cache.entries() if model is None or r["model"] == model]
    return str(cache.root), [{**r, "stimuli": str(r["stimuli"]), "shape": list(r["shape"]),
                              "reduction": str(r["reduction"])} for r in rows]


@app.command("list")
def list_cache(
    model: str = typer.Option(None, help="Only this model's entries"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
) -> None:
    """Cached activations: model, layer, stimulus set, shape, reduction, size."""
    root, records = cache_records(model)
    footer = f"{len(records)} entries, {_size(sum(r['bytes'] for r in records))}"
    emit_records(records, COLUMNS, fmt, title=f"activation cache: {root}", footer=footer)


@app.command("clear")
def clear_cache(
    model: str = typer.Option(None, help="Only this model's entries"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation"),
) -> None:
    """Delete cached activations (all, or one model's)."""
    from brainmark.models.cache import ActivationCache

    cache = ActivationCache()
    what = f"cached activations of {model}" if model else f"all cached activations in {cache.root}"
    if not yes and not typer.confirm(f"Delete {what}?"):
        raise typer.Abort()
    count, size = cache.clear(model)
    console().print(f"removed {count} entries ({_size(size)})")
