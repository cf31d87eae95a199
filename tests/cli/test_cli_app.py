"""The ``brainmark`` command tree: every command registered once, explicitly, in cli/main.py; a light start-up."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

import brainmark.cli
from brainmark.cli.main import app

CLI_FOLDER = Path(brainmark.cli.__file__).parent
COMMANDS = {"score", "verify", "report", "compare", "demo", "selftest", "serve", "worker"}
GROUPS = {
    "benchmarks": {"list", "show"},
    "datasets": {"list", "show", "fetch"},
    "models": {"list", "info", "check"},
    "cache": {"list", "clear"},
    "leaderboard": {"import", "add-user"},
    "reproduce": {"schrimpf2018"},
}


def test_every_command_and_group_is_registered():
    root = typer.main.get_command(app)
    names = set(root.commands)
    assert names == COMMANDS | set(GROUPS)
    for group, subcommands in GROUPS.items():
        assert set(root.commands[group].commands) == subcommands, group


def test_command_modules_never_import_the_app():
    """Registration is explicit in cli/main.py, not a side effect of importing a command module."""
    for path in sorted(CLI_FOLDER.glob("*.py")):
        if path.name == "main.py":
            continue
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert "brainmark.cli.main" not in imported, path.name


def test_version_and_help_do_not_import_the_heavy_stack():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from brainmark.cli.main import app\n"
        "out = [CliRunner().invoke(app, args).output for args in (['--version'], ['--help'], ['score', '--help'])]\n"
        "heavy = sorted(m for m in ('numpy', 'pandas', 'xarray', 'torch', 'scipy', 'sklearn') if m in sys.modules)\n"
        "print(__import__('json').dumps({'out': out, 'heavy': heavy}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    assert report["heavy"] == []
    assert report["out"][0].strip().startswith("brainmark ")
    assert "benchmarks" in report["out"][1] and "--convention" in report["out"][2]


def test_score_conventions_written_out_in_the_cli_match_the_scores_module():
    from brainmark.cli import score
    from brainmark.scores import CEILING_CONVENTIONS, DEFAULT_CONVENTION

    assert score.DEFAULT_CONVENTION == DEFAULT_CONVENTION
    assert score.CONVENTION_HELP == f"Ceiling convention: {', '.join(CEILING_CONVENTIONS)}."


def test_unknown_command_is_an_error():
    result = CliRunner().invoke(app, ["scores"])
    assert result.exit_code == 2 and "No such command" in result.output
