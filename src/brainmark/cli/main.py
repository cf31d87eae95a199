"""The ``brainmark`` command: one Typer app; each layer contributes a sub-command module."""
from __future__ import annotations

import typer

from brainmark._version import __version__

app = typer.Typer(
    name="brainmark",
    help="Measure how brain-like a vision model is.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _version_callback(value: bool) -> None:
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


# Sub-commands: each module defines a Typer app or commands on `app`.
# (added by the modules of each layer below)
from brainmark.cli import serve as _serve  # noqa: E402,F401
from brainmark.cli import datasets as _datasets  # noqa: E402,F401
from brainmark.cli import score as _score  # noqa: E402,F401
from brainmark.cli import models as _models  # noqa: E402,F401
from brainmark.cli import cache as _cache  # noqa: E402,F401
from brainmark.cli.compare import compare_command  # noqa: E402

app.command("compare")(compare_command)
