"""Score intervals in their own columns, when each score was made, every imported score kept (history), and a
model's last change (for the board cache).

Older rows stay readable: the new columns are nullable; a score stored before this migration has no interval
columns (the board recomputes its interval from the bootstrap replicates kept in ``values`` when it has them) and
no ``scored_at``; every current score is copied into ``score_history`` as imported at its ``created`` time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INTERVAL = ("ci_low", "ci_high", "ci_level")
COPIED = ("model_id", "benchmark_id", "raw", "error", "ceiling", "ceiling_error", "ceiled", "ceiled_error",
          "convention", "layer", "seconds", "values", "labels", "meta", "brainmark_version", "environment", "created")


def upgrade() -> None:
    """Add the interval, time and update columns; create ``score_history`` and fill it with the current scores."""
    with op.batch_alter_table("scores") as batch:
        for name in INTERVAL:
            batch.add_column(sa.Column(name, sa.Float, nullable=True))
        batch.add_column(sa.Column("scored_at", sa.DateTime, nullable=True))
    with op.batch_alter_table("composites") as batch:
        for name in INTERVAL:
            batch.add_column(sa.Column(name, sa.Float, nullable=True))
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("updated", sa.DateTime, nullable=True))
    op.create_table(
        "score_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("benchmark_id", sa.Integer, sa.ForeignKey("benchmarks.id"), nullable=False, index=True),
        *[sa.Column(name, sa.Float, nullable=True) for name in
          ("raw", "error", "ceiling", "ceiling_error", "ceiled", "ceiled_error", *INTERVAL)],
        sa.Column("convention", sa.String(40), nullable=True),
        sa.Column("layer", sa.String(300), nullable=True),
        sa.Column("seconds", sa.Float, nullable=True),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("brainmark_version", sa.String(40), nullable=True),
        sa.Column("environment", sa.JSON, nullable=False),
        sa.Column("scored_at", sa.DateTime, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
    )
    op.create_index("ix_score_history_model_benchmark", "score_history", ["model_id", "benchmark_id", "created"])
    columns = ", ".join(f'"{c}"' for c in COPIED)
    op.execute(f"INSERT INTO score_history ({columns}) SELECT {columns} FROM scores ORDER BY id")


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_index("ix_score_history_model_benchmark", table_name="score_history")
    op.drop_table("score_history")
    with op.batch_alter_table("models") as batch:
        batch.drop_column("updated")
    with op.batch_alter_table("composites") as batch:
        for name in INTERVAL:
            batch.drop_column(name)
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("scored_at")
        for name in INTERVAL:
            batch.drop_column(name)
