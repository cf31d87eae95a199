"""``brainmark selftest`` (registered on the main app in ``cli/main.py``): the pipeline recovers a known answer."""
from __future__ import annotations

import typer

from brainmark.cli._output import Column, console, print_table

COLUMNS = (Column("check"), Column("result"), Column("value"), Column("expected", shrink="fold", min_width=14))


def selftest_command(
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated brains and of the network."),
) -> None:
    """Simulate brains with a known answer, score them through the bring-your-own-data path, print pass/fail."""
    from brainmark.selftest import RELIABILITY, run_selftest

    report = run_selftest(seed)
    rows = [[c.name, "[green]pass[/green]" if c.passed else "[red]FAIL[/red]", c.value, c.expected]
            for c in report.checks]
    print_table(COLUMNS, rows, title=f"brainmark selftest (seed {seed})",
                caption="value: ceiled score [95% bootstrap interval]; neural ceiling vs the simulated reliability")
    failed = [c.name for c in report.checks if not c.passed]
    summary = (f"{len(report.checks) - len(failed)}/{len(report.checks)} checks passed in {report.seconds:.0f} s "
               f"(simulated reliability {RELIABILITY}, generating layer {report.settings['generating_layer']})")
    if failed:
        console(stderr=True).print(f"[red]selftest failed[/red]: {', '.join(failed)}. {summary}")
        raise typer.Exit(1)
    console().print(f"[green]selftest passed[/green]: {summary}")
