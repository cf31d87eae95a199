"""Alembic environment: runs on the connection handed over by :func:`brainmark.leaderboard.db.migrate`."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from brainmark.leaderboard.db import Base

target_metadata = Base.metadata
config = context.config


def run_migrations() -> None:
    """Run the migrations on the configured connection, or on an engine for the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
