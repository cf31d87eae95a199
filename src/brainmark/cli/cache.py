"""``brainmark cache list|clear``: the content-addressed activation cache."""
from __future__ import annotations

import datetime as dt

import typer
from rich.console import Console
from rich.table import Table

from brainmark.cli.main import app

cache_app = typer.Typer(help="Inspect or clear cached model activations.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
console = Console()


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


@cache_app.command("list")
def list_cache(model: str = typer.Option(None, help="Only this model's entries")) -> None:
    """Cached activations: model, layer, stimulus set, shape, reduction, size."""
    from brainmark.models.cache import ActivationCache

    cache = ActivationCache()
    rows = [r for r in cache.entries() if model is None or r["model"] == model]
    table = Table(title=f"activation cache: {cache.root}")
    for column in ("model", "layer", "stimuli", "shape", "reduction", "size", "created", "key"):
        table.add_column(column)
    for r in rows:
        created = dt.datetime.fromtimestamp(r["created"]).strftime("%Y-%m-%d %H:%M") if r["created"] else "?"
        table.add_row(
            r["model"], r["layer"], str(r["stimuli"]), "x".join(map(str, r["shape"])), str(r["reduction"]),
            _size(r["bytes"]), created, r["key"][:12],
        )
    console.print(table)
    console.print(f"{len(rows)} entries, {_size(sum(r['bytes'] for r in rows))}")


@cache_app.command("clear")
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
    console.print(f"removed {count} entries ({_size(size)})")
