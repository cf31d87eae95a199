"""``brainmark datasets list | show ID | fetch ID...``: what data is registered, where it comes from, and getting it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table

from brainmark.cli.main import app

if TYPE_CHECKING:  # the data layer imports xarray: load it only when a datasets command runs
    from brainmark.data.registry import DatasetEntry
    from brainmark.data.store import Store

datasets_app = typer.Typer(help="List, inspect and fetch the registered datasets and stimulus sets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")


def _size(n: int) -> str:
    if not n:
        return "?"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _entries() -> list["DatasetEntry"]:
    import brainmark.datasets  # noqa: F401  (registers the built-in datasets)
    from brainmark.data.registry import DATASETS, STIMULUS_SETS, DatasetEntry

    out = []
    for registry in (DATASETS, STIMULUS_SETS):
        for name in registry.names():
            factory = registry.factory(name)
            if isinstance(factory, DatasetEntry):
                out.append(factory)
    return sorted(out, key=lambda e: (e.identifier, e.kind == "stimuli"))


def _find(identifier: str) -> list["DatasetEntry"]:
    from brainmark.data.registry import DATASETS
    from brainmark.registry import UnknownIdentifierError

    found = [e for e in _entries() if e.identifier == identifier]
    if not found:
        try:
            DATASETS.factory(identifier)
        except UnknownIdentifierError as exc:
            raise typer.BadParameter(str(exc), param_hint="ID") from None
    return found


def _status(entry: "DatasetEntry", store: "Store") -> str:
    if entry.shipped:
        return "[green]shipped[/green]"
    if entry.is_available(store):
        return "[green]cached[/green]"
    if all(store.mirror_copy(f) is not None for f in entry.files):
        return "[yellow]in mirror[/yellow]"
    return "[dim]download[/dim]"


@datasets_app.command("list")
def list_command(
    kind: Optional[str] = typer.Option(None, help="Only this kind: neural, rdm, behavioral or stimuli."),
) -> None:
    """Every registered dataset and stimulus set: kind, size, license, and whether it is available offline."""
    from brainmark.data.store import Store

    store = Store()
    table = Table(title="brainmark datasets", title_justify="left")
    table.add_column("identifier", no_wrap=True)
    table.add_column("kind")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("license")
    table.add_column("available", no_wrap=True)
    for entry in _entries():
        if kind and entry.kind != kind:
            continue
        table.add_row(entry.identifier, entry.kind, _size(entry.size), entry.license, _status(entry, store))
    Console().print(table)


@datasets_app.command("show")
def show_command(identifier: str = typer.Argument(..., metavar="ID")) -> None:
    """Citation, license, files (checksum, size, URLs, mirror path) and shape of one dataset or stimulus set."""
    from brainmark.data.store import Store

    console = Console()
    store = Store()
    for entry in _find(identifier):
        console.rule(f"{entry.identifier} ({entry.kind})")
        console.print(f"[bold]description[/bold]  {entry.description}")
        console.print(f"[bold]shape[/bold]        {entry.shape or '?'}")
        if entry.stimulus_set:
            console.print(f"[bold]stimuli[/bold]      {entry.stimulus_set}")
        console.print(f"[bold]license[/bold]      {entry.license}")
        if entry.notes:
            console.print(f"[bold]notes[/bold]        {entry.notes}", highlight=False)
        console.print(f"[bold]available[/bold]    {_status(entry, store)}")
        files = Table(title="files", title_justify="left", show_lines=False)
        for column in ("file", "size", "checksum", "source"):
            files.add_column(column, overflow="fold")
        shown = entry.files if len(entry.files) <= 30 else entry.files[:30]
        for f in shown:
            where = ", ".join(f.urls) or ("shipped in the package" if f.shipped else "")
            if f.mirror_path:
                where += f"\nmirror: {f.mirror_path}"
            files.add_row(f.name, _size(f.size or 0), f.checksum, where)
        if len(entry.files) > len(shown):
            files.add_row(f"... and {len(entry.files) - len(shown)} more", "", "", "")
        console.print(files)
        if entry.sources:
            sources = Table(title="converted from", title_justify="left")
            for column in ("file", "size", "checksum", "url"):
                sources.add_column(column, overflow="fold")
            for f in entry.sources:
                sources.add_row(f.name, _size(f.size or 0), f.checksum, ", ".join(f.urls))
            console.print(sources)
        if entry.citation:
            console.print("[bold]citation[/bold]")
            console.print(entry.citation, markup=False, highlight=False)


@datasets_app.command("fetch")
def fetch_command(
    identifiers: list[str] = typer.Argument(..., metavar="ID...", help="Datasets or stimulus sets; 'all' for every one."),
) -> None:
    """Fetch and verify every file of the given datasets (cache -> mirror -> download)."""
    from brainmark.data.store import DataFetchError, Store, mirror_folders

    console = Console()
    store = Store()
    entries = _entries() if identifiers == ["all"] else [e for i in identifiers for e in _find(i)]
    failed = 0
    for entry in entries:
        try:
            paths = entry.fetch(store)
        except DataFetchError as exc:
            failed += 1
            console.print(f"[red]✗[/red] {entry.identifier} ({entry.kind}): {exc}", highlight=False)
            continue
        console.print(f"[green]✓[/green] {entry.identifier} ({entry.kind}): {len(paths)} files verified", highlight=False)
    if failed:
        if not mirror_folders():
            console.print("hint: set BRAINMARK_DATA_MIRROR to a folder holding a copy of the data", highlight=False)
        raise typer.Exit(1)
