"""Command-line interface (``brainmark ...``), built with Typer."""
