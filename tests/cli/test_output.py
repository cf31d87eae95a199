"""Tables fit an 80-column terminal or a pipe; every list command offers --format table|json|csv."""
from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from brainmark.cli import _output
from brainmark.cli._output import Column, fit_widths, output_width, render_table
from brainmark.cli.main import app

runner = CliRunner()
LIST_COMMANDS = [["benchmarks", "list"], ["datasets", "list"], ["models", "list"], ["cache", "list"]]


def invoke(args: list[str], columns: str | None):
    """Run the CLI with COLUMNS set, or unset (a pipe: the runner's stdout is not a terminal)."""
    return runner.invoke(app, args, env={"COLUMNS": columns, "BRAINMARK_PROGRESS": "0"})


def table_rows(output: str) -> list[str]:
    """The body rows of the (first) rich table in ``output``: the lines between its header rule and its bottom."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    return [line for line in lines[start + 1:end] if line.startswith("│")]


def test_fit_widths_keeps_natural_widths_when_there_is_room():
    columns = [Column("a"), Column("b", shrink="ellipsis")]
    assert fit_widths(columns, [["xxxx", "yyyyyy"]], 80) == [4, 6]


def test_fit_widths_narrows_shrinkable_columns_to_the_width():
    columns = [Column("id"), Column("description", shrink="ellipsis", min_width=5)]
    rows = [["abcdefghij", "d" * 100]]
    widths = fit_widths(columns, rows, 40)
    assert widths[0] == 10 and widths[1] == 40 - 10 - (3 * 2 + 1)


def test_fit_widths_drops_the_highest_ranked_columns_first_and_never_rank_zero():
    columns = [Column("id"), Column("a", drop=1), Column("b", drop=2), Column("c", shrink="ellipsis", min_width=10)]
    rows = [["i" * 20, "a" * 10, "b" * 10, "c" * 30]]
    assert fit_widths(columns, rows, 50) == [20, 10, None, 30 - (30 + 20 + 10 + 3 * 3 + 1 - 50)]
    assert fit_widths(columns, rows, 38) == [20, None, None, 11]
    assert fit_widths(columns, rows, 10)[0] == 20  # nothing left to drop: rank 0 stays


def test_render_table_is_no_wider_than_asked():
    columns = [Column("id"), Column("kind", drop=1), Column("text", shrink="ellipsis")]
    rows = [[f"identifier-{i}", "behavioral", "a long description " * 5] for i in range(3)]
    table, dropped = render_table(columns, rows, width=40)
    text = _render(table, 200)
    assert dropped == ["kind"] and max(len(line) for line in text.splitlines()) <= 40
    assert all(f"identifier-{i}" in text for i in range(3)) and "…" in text


def _render(table, width: int) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width)
    console.print(table)
    return console.file.getvalue()


def test_output_width_reads_columns_then_the_terminal_then_defaults_to_80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "123")
    assert output_width() == 123
    monkeypatch.delenv("COLUMNS")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

        def fileno(self) -> int:
            return 1

    monkeypatch.setattr(_output.sys, "stdout", Terminal())
    monkeypatch.setattr(_output.os, "get_terminal_size", lambda fd: __import__("os").terminal_size((97, 30)))
    assert output_width() == 97
    monkeypatch.setattr(_output.sys, "stdout", io.StringIO())
    assert output_width() == 80


@pytest.mark.parametrize("columns", ["80", None], ids=["COLUMNS=80", "pipe"])
@pytest.mark.parametrize("args", LIST_COMMANDS, ids=lambda a: a[0])
def test_list_tables_fit_80_columns_one_line_per_record(args, columns, brainmark_home):
    records = json.loads(invoke([*args, "--format", "json"], columns).output)
    result = invoke(args, columns)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80, result.output
    rows = table_rows(result.output)
    assert len(rows) == len(records)
    for row, record in zip(rows, records):
        key = record.get("identifier", record.get("model"))
        assert key in row  # identifiers are never truncated


def test_benchmarks_list_in_a_pipe_keeps_each_description_on_its_line(brainmark_home):
    result = invoke(["benchmarks", "list"], None)
    assert "not shown at 80 columns" in result.output
    for row in table_rows(result.output):
        description = row.rstrip("│ ").rsplit("│", 1)[-1].strip()
        assert len(description) >= 12  # one line per benchmark, not one word per line


def test_a_wide_terminal_shows_every_column(brainmark_home):
    result = invoke(["benchmarks", "list"], "200")
    header = result.output.splitlines()[2]
    for column in ("identifier", "kind", "region", "data", "description"):
        assert column in header
    assert "not shown" not in result.output and "online only" in result.output


@pytest.mark.parametrize(("args", "key", "fields"), [
    (["benchmarks", "list"], "identifier", {"identifier", "kind", "region", "offline", "description"}),
    (["datasets", "list"], "identifier", {"identifier", "kind", "bytes", "license", "available"}),
    (["models", "list"], "identifier", {"identifier", "family", "imagenet_top1", "input_size", "n_layers", "paper"}),
])
def test_json_and_csv_formats_hold_every_field(args, key, fields, brainmark_home):
    as_json = invoke([*args, "--format", "json"], "80")
    as_csv = invoke([*args, "--format", "csv"], "80")
    assert as_json.exit_code == 0 and as_csv.exit_code == 0
    records = json.loads(as_json.output)
    assert records and set(records[0]) == fields
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [r[key] for r in rows] == [r[key] for r in records] and set(rows[0]) == fields
    assert "not shown" not in as_json.output + as_csv.output


def test_json_values_keep_their_types(brainmark_home):
    benchmarks = {r["identifier"]: r for r in json.loads(invoke(["benchmarks", "list", "--format", "json"], None).output)}
    assert benchmarks["Cowley2023.V4-pls"]["offline"] is True and benchmarks["MajajHong2015.IT-pls"]["offline"] is False
    assert benchmarks["Geirhos2021edge-accuracy"]["region"] is None
    models = {r["identifier"]: r for r in json.loads(invoke(["models", "list", "--format", "json"], None).output)}
    assert models["alexnet"]["input_size"] == 224 and models["alexnet"]["n_layers"] == 7
    assert 56 < models["alexnet"]["imagenet_top1"] < 57
    offline = json.loads(invoke(["benchmarks", "list", "--offline", "--format", "json"], None).output)
    assert offline and all(r["offline"] for r in offline)


def test_unknown_format_is_rejected():
    result = invoke(["models", "list", "--format", "xml"], "80")
    assert result.exit_code == 2 and "xml" in result.output


@pytest.mark.slow
def test_compare_tables_fit_80_columns(shared_data, brainmark_home, tmp_path):
    folder = tmp_path / "results"
    for extra in ([], ["--untrained"]):
        scored = invoke(["score", "tinynet-test", "Coggan2024.V1-rsa", "Geirhos2021edge-error_consistency",
                         "--output", str(folder), "--no-plots", *extra], None)
        assert scored.exit_code == 0, scored.output
    args = ["compare", str(folder / "tinynet-test.json"), str(folder / "tinynet-test-untrained.json")]
    narrow, wide = invoke(args, None), invoke(args, "200")
    assert narrow.exit_code == 0 and wide.exit_code == 0, narrow.output
    assert max(len(line) for line in narrow.output.splitlines()) <= 80
    assert "not shown at 80 columns: 95% CI, p" in narrow.output and "not shown" not in wide.output
    for text in ("tinynet-test", "Coggan2024.V1-rsa", "brainscore2018", "p adj.", "tied with best"):
        assert text in wide.output
    assert len(table_rows(narrow.output)) >= 3  # the three comparisons (two benchmarks and at least one composite)
