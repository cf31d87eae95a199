"""Output of the CLI: tables that fit the terminal (or 80 columns in a pipe) and ``--format table|json|csv``.

A table is described by :class:`Column` specs. When its natural width does not fit, the columns that may shrink
are narrowed (truncated with an ellipsis, or folded), and when that is not enough the columns with the highest
``drop`` rank are left out, one at a time; the command then says on stderr which columns are not shown.
"""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Mapping, Sequence

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

#: The width of piped output and logs (no terminal, no ``COLUMNS``).
DEFAULT_WIDTH = 80
#: A row of this value starts a new section of the table (a rule between row groups).
SECTION: tuple[str, ...] = ()
FORMAT_HELP = "Output format: a table fitted to the terminal width, or all fields as JSON or CSV."


class OutputFormat(str, Enum):
    """The ``--format`` of the list commands."""

    table = "table"
    json = "json"
    csv = "csv"


@dataclass(frozen=True)
class Column:
    """One table column: a header, the record field it shows and how it behaves when space is short.

    ``drop``: 0 = always shown; otherwise columns are left out highest rank first when the table cannot fit.
    ``shrink``: ``"ellipsis"`` (truncate) or ``"fold"`` (wrap anywhere) lets the column narrow to ``min_width``;
    None keeps its natural width. ``render`` turns the record's value into the cell's text (rich markup).
    """

    header: str
    key: str = ""
    justify: str = "left"
    drop: int = 0
    shrink: str | None = None
    min_width: int = 10
    render: Callable[[Any], str] | None = None

    @property
    def field(self) -> str:
        """The record key this column shows (its header unless ``key`` is given)."""
        return self.key or self.header

    def cell(self, value: Any) -> str:
        """The table cell of ``value`` (``render``, or the escaped text; None shows as a dash)."""
        if self.render is not None:
            return self.render(value)
        return "–" if value is None else escape(str(value))


def output_width() -> int:
    """``COLUMNS`` when set, else the terminal's width when stdout is one, else :data:`DEFAULT_WIDTH`."""
    value = os.environ.get("COLUMNS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, OSError, ValueError):
        pass
    return DEFAULT_WIDTH


def console(*, stderr: bool = False) -> Console:
    """A rich console as wide as :func:`output_width` (created per use, so the width is the current one)."""
    return Console(width=output_width(), stderr=stderr)


def _cell_width(cell: str) -> int:
    lines = Text.from_markup(cell).split("\n")
    return max((line.cell_len for line in lines), default=0)


def _overhead(n_columns: int) -> int:
    """Borders and padding of a rich table with the default box: 1 + 3 per column."""
    return 3 * n_columns + 1


def fit_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int | None]:
    """Each column's width in a table of at most ``width`` characters, or None for a column left out."""
    natural = [max([_cell_width(c.header), *(_cell_width(r[i]) for r in rows if r)]) for i, c in enumerate(columns)]
    floor = [min(natural[i], c.min_width) if c.shrink else natural[i] for i, c in enumerate(columns)]
    kept = list(range(len(columns)))
    while sum(floor[i] for i in kept) + _overhead(len(kept)) > width:
        droppable = [i for i in kept if columns[i].drop > 0]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda i: (columns[i].drop, i)))
    widths = {i: natural[i] for i in kept}
    excess = sum(widths.values()) + _overhead(len(kept)) - width
    while excess > 0:
        narrowable = [i for i in kept if columns[i].shrink and widths[i] > floor[i]]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return [widths.get(i) for i in range(len(columns))]


def render_table(columns: Sequence[Column], rows: Sequence[Sequence[str]], *, title: str | None = None,
                 width: int | None = None, caption: str | None = None,
                 styles: Sequence[str | None] | None = None) -> tuple[Table, list[str]]:
    """A rich table of ``rows`` (cell texts; :data:`SECTION` rows start a section) fitted to ``width``.

    ``styles``: a rich style per row (None for none). Returns the table and the headers of the columns left out.
    """
    width = output_width() if width is None else width
    widths = fit_widths(columns, rows, width)
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for column, w in zip(columns, widths):
        if w is None:
            continue
        fold = column.shrink == "fold"
        table.add_column(column.header, justify=column.justify, no_wrap=not fold,  # type: ignore[arg-type]
                         overflow="fold" if fold else "ellipsis", width=w if column.shrink else None)
    for i, row in enumerate(rows):
        if row is SECTION or not row:
            table.add_section()
            continue
        table.add_row(*(cell for cell, w in zip(row, widths) if w is not None), style=styles[i] if styles else None)
    return table, [c.header for c, w in zip(columns, widths) if w is None]


def print_table(columns: Sequence[Column], rows: Sequence[Sequence[str]], *, title: str | None = None,
                caption: str | None = None, hidden_hint: str = "set COLUMNS to widen",
                styles: Sequence[str | None] | None = None) -> list[str]:
    """Print a fitted table on stdout and name any columns left out on stderr; returns their headers."""
    width = output_width()
    table, dropped = render_table(columns, rows, title=title, width=width, caption=caption, styles=styles)
    console().print(table)
    if dropped:
        console(stderr=True).print(f"[dim]not shown at {width} columns: {', '.join(dropped)} ({hidden_hint})[/dim]",
                                   highlight=False)
    return dropped


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return value


def records_text(records: Sequence[Mapping[str, Any]], columns: Sequence[Column], fmt: OutputFormat) -> str:
    """``records`` as JSON (a list of objects) or CSV (a header row of every field, then one row each)."""
    if fmt == OutputFormat.json:
        return json.dumps([dict(r) for r in records], indent=2, default=str)
    fields = [c.field for c in columns]
    for record in records:
        fields += [k for k in record if k not in fields]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _csv_value(record.get(k)) for k in fields})
    return buffer.getvalue()


def emit_records(records: Sequence[Mapping[str, Any]], columns: Sequence[Column], fmt: OutputFormat, *,
                 title: str | None = None, footer: str | None = None) -> None:
    """Print a list command's records: a fitted table (+ ``footer``), or every field as JSON or CSV."""
    if fmt != OutputFormat.table:
        typer.echo(records_text(records, columns, fmt), nl=fmt == OutputFormat.json)
        return
    rows = [[c.cell(r.get(c.field)) for c in columns] for r in records]
    print_table(columns, rows, title=title, hidden_hint="--format json|csv has every field")
    if footer:
        console().print(footer, highlight=False)
