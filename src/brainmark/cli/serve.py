"""``brainmark serve``, ``brainmark worker`` and ``brainmark leaderboard import|add-user``.

Plain functions and a Typer sub-app; ``cli/main.py`` registers them on the main app.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from brainmark.cli._output import Column, console, print_table

leaderboard_app = typer.Typer(help="Manage the leaderboard database (users, imported results).", no_args_is_help=True)
IMPORT_COLUMNS = (Column("file", shrink="ellipsis", min_width=20), Column("model", shrink="ellipsis", min_width=16),
                  Column("scores", justify="right"), Column("status"))

DB_HELP = "SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host:5432/db (default: SQLite in $BRAINMARK_HOME)"


SCHEDULER_HELP = ("tls://HOST:PORT of a running Dask scheduler (certificates from DASK_DISTRIBUTED__COMM__TLS__* "
                  "variables; default: start a TLS LocalCluster on 127.0.0.1)")


def serve(
    database_url: Optional[str] = typer.Option(None, "--database-url", envvar="BRAINMARK_DATABASE_URL", help=DB_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help=SCHEDULER_HELP),
    workers: int = typer.Option(2, "--workers", help="LocalCluster worker processes (without --scheduler)"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    benchmarks: Optional[str] = typer.Option(None, "--benchmarks", help="comma-separated default benchmarks"),
    time_limit: float = typer.Option(1800, "--time-limit", help="wall-clock seconds per uploaded-model job"),
    memory_limit_mb: int = typer.Option(8192, "--memory-limit-mb", help="memory of an uploaded model's whole sandbox"),
    insecure_scheduler: bool = typer.Option(False, "--insecure-scheduler",
                                            help="accept a plain tcp:// scheduler (anyone reaching it can run code)"),
    allow_unsandboxed: bool = typer.Option(False, "--allow-unsandboxed-uploads",
                                           help="score uploads even where no sandbox can be set up: UNTRUSTED CODE "
                                                "WILL RUN UNSANDBOXED on the workers"),
    insecure_cookies: bool = typer.Option(False, "--insecure-cookies",
                                          help="session cookies without Secure (plain http on a non-local address)"),
) -> None:
    """Run the leaderboard website + API and score submissions on Dask workers (one command, one machine)."""
    import uvicorn

    from brainmark.compute.dask import DaskExecutor, InsecureSchedulerError
    from brainmark.leaderboard.config import ServerConfig
    from brainmark.leaderboard.sandbox import Limits
    from brainmark.leaderboard.web import create_app

    executor = DaskExecutor(scheduler=scheduler, n_workers=workers, allow_insecure=insecure_scheduler)
    try:
        address = executor.scheduler_address  # starts the LocalCluster / connects now, so failures show at once
    except InsecureSchedulerError as exc:
        console().print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console().print(f"Dask scheduler: [bold]{address}[/] (add machines with `brainmark worker --scheduler {address}`)")
    if allow_unsandboxed:
        console().print("[bold red]--allow-unsandboxed-uploads: uploaded code runs without a sandbox where none can "
                      "be set up[/]")
    limits = Limits(seconds=time_limit, memory_bytes=memory_limit_mb * 2**20)
    chosen = [b for b in (benchmarks or "").split(",") if b] or None
    config = ServerConfig(secure_cookies=not insecure_cookies, allow_unsandboxed=allow_unsandboxed)
    web = create_app(database_url, executor, limits, chosen, config=config)
    console().print(f"Leaderboard: [bold]http://{host}:{port}/[/]")
    try:
        uvicorn.run(web, host=host, port=port, log_level="info")
    finally:
        executor.close()


def worker(
    scheduler: str = typer.Option(..., "--scheduler", help="tls://HOST:PORT of the leaderboard's Dask scheduler"),
    nthreads: int = typer.Option(1, "--nthreads"),
    host: str = typer.Option("127.0.0.1", "--host", help="address this worker listens on"),
    tls_ca_file: Optional[Path] = typer.Option(None, "--tls-ca-file", help="CA certificate of the cluster"),
    tls_cert: Optional[Path] = typer.Option(None, "--tls-cert", help="this worker's certificate"),
    tls_key: Optional[Path] = typer.Option(None, "--tls-key", help="this worker's private key"),
    insecure_scheduler: bool = typer.Option(False, "--insecure-scheduler", help="join a plain tcp:// scheduler"),
) -> None:
    """Join a leaderboard's Dask cluster as a scoring worker (needs no database credentials; run it as root so
    each sandboxed job gets its own uid and cgroup)."""
    import asyncio

    from distributed import Worker
    from distributed.security import Security

    from brainmark.compute.dask import InsecureSchedulerError, remote_security
    from brainmark.leaderboard.jobs import sandbox_probe

    given = Security(tls_ca_file=str(tls_ca_file), tls_worker_cert=str(tls_cert), tls_worker_key=str(tls_key),
                     tls_client_cert=str(tls_cert), tls_client_key=str(tls_key), require_encryption=True) \
        if tls_ca_file and tls_cert and tls_key else None
    try:
        security = remote_security(scheduler, given, insecure_scheduler)
    except InsecureSchedulerError as exc:
        console().print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    reason = sandbox_probe()  # also sweeps what a killed predecessor left behind
    console().print("sandbox: ready" if reason is None else f"[red]sandbox unavailable: {reason}[/] (upload jobs will fail)")

    async def run() -> None:
        """Serve until the scheduler or a signal stops the worker."""
        async with Worker(scheduler, nthreads=nthreads, host=host, dashboard=False, security=security) as w:
            console().print(f"worker {w.address} joined {scheduler}")
            await w.finished()

    asyncio.run(run())


@leaderboard_app.command("import")
def import_results(
    files: list[Path] = typer.Argument(..., help="results JSON files written by `brainmark score --output`"),
    database_url: Optional[str] = typer.Option(None, "--database-url", envvar="BRAINMARK_DATABASE_URL", help=DB_HELP),
    owner: Optional[str] = typer.Option(None, "--owner", help="user name owning the imported models"),
    private: bool = typer.Option(False, "--private", help="hide the models from everyone but the owner"),
) -> None:
    """Import results files into the leaderboard (each file in one transaction)."""
    from sqlalchemy import select

    from brainmark.errors import BrainmarkError
    from brainmark.leaderboard.db import User, open_database
    from brainmark.leaderboard.store import import_record
    from brainmark.scoring.results import ResultsRecord

    engine, sessions = open_database(database_url)
    rows: list[list[str]] = []
    failed: list[str] = []
    for path in files:
        try:
            record = ResultsRecord.load(path)
            with sessions.begin() as session:
                user = None
                if owner:
                    user = session.scalar(select(User).where(User.name == owner))
                    if user is None:
                        raise BrainmarkError(f"no user {owner!r}; create one with `brainmark leaderboard add-user`")
                import_record(session, record, owner=user, public=not private)
            rows.append([escape(str(path)), escape(record.model_identifier), str(len(record.scores)), "[green]imported[/]"])
        except (BrainmarkError, OSError) as exc:
            failed.append(f"{path}: {exc}")
            rows.append([escape(str(path)), "", "", "[red]failed[/]"])
    print_table(IMPORT_COLUMNS, rows)
    engine.dispose()
    for line in failed:
        typer.echo(line, err=True)
    if failed:
        raise typer.Exit(1)


@leaderboard_app.command("add-user")
def add_user_command(
    name: str = typer.Argument(..., help="user name"),
    database_url: Optional[str] = typer.Option(None, "--database-url", envvar="BRAINMARK_DATABASE_URL", help=DB_HELP),
) -> None:
    """Create a user and print their API token (shown once; only its hash is stored)."""
    from brainmark.errors import BrainmarkError
    from brainmark.leaderboard.db import open_database
    from brainmark.leaderboard.store import add_user

    engine, sessions = open_database(database_url)
    try:
        with sessions.begin() as session:
            token = add_user(session, name)
    except BrainmarkError as exc:
        console().print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    typer.echo(token)
