"""The ``brainmark`` command: one Typer app, and the one place where its commands are registered.

The command modules (``cli/score.py``, ``cli/benchmarks.py``, ...) define plain functions and Typer sub-apps and
never import this module; they import only typer, rich and light modules at the top and everything heavy (torch,
xarray, the scoring stack) inside their commands, so that ``brainmark --version`` and ``--help`` stay fast.
"""
from __future__ import annotations

import typer

from brainmark._version import __version__
from brainmark.cli import benchmarks, cache, compare, datasets, models, report, reproduce, score, selftest, serve

app = typer.Typer(
    name="brainmark",
    help="Measure how brain-like a vision model is.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _version_callback(value: bool) -> None:
    """Print the version and exit (``--version``)."""
    if value:
        typer.echo(f"brainmark {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """brainmark: score vision models against primate brain and behaviour data."""


# Top-level commands, in the order ``brainmark --help`` lists them.
app.command("score")(score.score_command)
app.command("verify")(score.verify_command)
app.command("report")(report.report_command)
app.command("compare")(compare.compare_command)
app.command("demo")(score.demo_command)
app.command("selftest")(selftest.selftest_command)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
# Command groups.
app.add_typer(benchmarks.app, name="benchmarks")
app.add_typer(datasets.app, name="datasets")
app.add_typer(models.app, name="models")
app.add_typer(cache.app, name="cache")
app.add_typer(serve.leaderboard_app, name="leaderboard")
app.add_typer(reproduce.app, name="reproduce")
