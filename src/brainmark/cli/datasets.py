"""``brainmark datasets list | show ID | fetch ID...``: what data is registered, where it comes from, and getting it.

Registered on the main app in ``cli/main.py``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import typer

from brainmark.cli._output import FORMAT_HELP, Column, OutputFormat, console, emit_records, print_table

if TYPE_CHECKING:  # the data layer imports xarray: load it only when a datasets command runs
    from brainmark.data.registry import DatasetEntry
    from brainmark.data.store import Store

app = typer.Typer(help="List, inspect and fetch the registered datasets and stimulus sets.", no_args_is_help=True)


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


_STATUS_STYLE = {"shipped": "green", "cached": "green", "in mirror": "yellow", "download": "dim"}


def _status(entry: "DatasetEntry", store: "Store") -> str:
    """Where the entry's files are: shipped, cached, in mirror or download."""
    if entry.shipped:
        return "shipped"
    if entry.is_available(store):
        return "cached"
    if all(store.mirror_copy(f) is not None for f in entry.files):
        return "in mirror"
    return "download"


def _styled(status: str) -> str:
    style = _STATUS_STYLE.get(status, "")
    return f"[{style}]{status}[/{style}]" if style else status


LIST_COLUMNS = (
    Column("identifier"),
    Column("kind"),
    Column("size", key="bytes", justify="right", drop=2, render=_size),
    Column("license", drop=1, shrink="ellipsis", min_width=9),
    Column("available", render=_styled),
)
#: The files tables of ``datasets show``: checksums and URLs fold rather than lose characters.
FILE_COLUMNS = (
    Column("file", shrink="fold", min_width=16),
    Column("size", justify="right"),
    Column("checksum", shrink="fold", min_width=16),
    Column("source", shrink="fold", min_width=16),
)


def dataset_records(kind: Optional[str] = None) -> list[dict[str, Any]]:
    """One record per dataset and stimulus set (optionally of one kind): identifier, kind, bytes, license, available."""
    from brainmark.data.store import Store

    store = Store()
    return [{"identifier": e.identifier, "kind": e.kind, "bytes": e.size, "license": e.license,
             "available": _status(e, store)} for e in _entries() if not kind or e.kind == kind]


@app.command("list")
def list_command(
    kind: Optional[str] = typer.Option(None, help="Only this kind: neural, rdm, behavioral or stimuli."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
) -> None:
    """Every registered dataset and stimulus set: kind, size, license, and whether it is available offline."""
    emit_records(dataset_records(kind), LIST_COLUMNS, fmt, title="brainmark datasets")


def _file_rows(entry: "DatasetEntry", limit: int = 30) -> list[list[str]]:
    rows = []
    for f in entry.files[:limit]:
        where = ", ".join(f.urls) or ("shipped in the package" if f.shipped else "")
        if f.mirror_path:
            where += f"\nmirror: {f.mirror_path}"
        rows.append([f.name, _size(f.size or 0), f.checksum, where])
    if len(entry.files) > limit:
        rows.append([f"... and {len(entry.files) - limit} more", "", "", ""])
    return rows


@app.command("show")
def show_command(identifier: str = typer.Argument(..., metavar="ID")) -> None:
    """Citation, license, files (checksum, size, URLs, mirror path) and shape of one dataset or stimulus set."""
    from brainmark.data.store import Store

    out = console()
    store = Store()
    for entry in _find(identifier):
        out.rule(f"{entry.identifier} ({entry.kind})")
        out.print(f"[bold]description[/bold]  {entry.description}")
        out.print(f"[bold]shape[/bold]        {entry.shape or '?'}")
        if entry.stimulus_set:
            out.print(f"[bold]stimuli[/bold]      {entry.stimulus_set}")
        out.print(f"[bold]license[/bold]      {entry.license}")
        if entry.notes:
            out.print(f"[bold]notes[/bold]        {entry.notes}", highlight=False)
        out.print(f"[bold]available[/bold]    {_styled(_status(entry, store))}")
        print_table(FILE_COLUMNS, _file_rows(entry), title="files")
        if entry.sources:
            sources = [[f.name, _size(f.size or 0), f.checksum, ", ".join(f.urls)] for f in entry.sources]
            print_table((*FILE_COLUMNS[:3], Column("url", shrink="fold", min_width=16)), sources, title="converted from")
        if entry.citation:
            out.print("[bold]citation[/bold]")
            out.print(entry.citation, markup=False, highlight=False)


@app.command("fetch")
def fetch_command(
    identifiers: list[str] = typer.Argument(..., metavar="ID...", help="Datasets or stimulus sets; 'all' for every one."),
) -> None:
    """Fetch and verify every file of the given datasets (cache -> mirror -> download)."""
    from brainmark.data.store import DataFetchError, Store, mirror_folders

    out = console()
    store = Store()
    entries = _entries() if identifiers == ["all"] else [e for i in identifiers for e in _find(i)]
    failed = 0
    for entry in entries:
        try:
            paths = entry.fetch(store)
        except DataFetchError as exc:
            failed += 1
            out.print(f"[red]✗[/red] {entry.identifier} ({entry.kind}): {exc}", highlight=False)
            continue
        out.print(f"[green]✓[/green] {entry.identifier} ({entry.kind}): {len(paths)} files verified", highlight=False)
    if failed:
        if not mirror_folders():
            out.print("hint: set BRAINMARK_DATA_MIRROR to a folder holding a copy of the data", highlight=False)
        raise typer.Exit(1)
