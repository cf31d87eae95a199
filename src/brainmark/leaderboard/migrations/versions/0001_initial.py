"""Initial leaderboard schema: users, models, benchmarks, scores, composites, submissions, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables, referenced ones first."""
    _create_users_and_models()
    _create_benchmarks_and_scores()
    _create_submissions_and_jobs()


def downgrade() -> None:
    """Drop every table, referencing ones first."""
    for table in ("jobs", "submissions", "composites", "scores", "benchmarks", "models", "users"):
        op.drop_table(table)


def _create_users_and_models() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("identifier", sa.String(200), nullable=False, unique=True, index=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("environment", sa.JSON, nullable=False),
        sa.Column("record_created", sa.String(40), nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
    )


def _create_benchmarks_and_scores() -> None:
    op.create_table(
        "benchmarks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("identifier", sa.String(200), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ceiling", sa.Float, nullable=True),
        sa.Column("ceiling_error", sa.Float, nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("bibtex", sa.Text, nullable=False),
        sa.UniqueConstraint("identifier", "version", name="uq_benchmark_version"),
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("benchmark_id", sa.Integer, sa.ForeignKey("benchmarks.id"), nullable=False, index=True),
        *[sa.Column(name, sa.Float, nullable=True) for name in
          ("raw", "error", "ceiling", "ceiling_error", "ceiled", "ceiled_error")],
        sa.Column("convention", sa.String(40), nullable=True),
        sa.Column("layer", sa.String(300), nullable=True),
        sa.Column("seconds", sa.Float, nullable=True),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("brainmark_version", sa.String(40), nullable=True),
        sa.Column("environment", sa.JSON, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.UniqueConstraint("model_id", "benchmark_id", name="uq_score_model_benchmark"),
    )
    op.create_table(
        "composites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("identifier", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("score", sa.JSON, nullable=False),
        sa.Column("ceiled", sa.Float, nullable=True),
        sa.UniqueConstraint("model_id", "identifier", "version", name="uq_composite_model"),
    )


def _create_submissions_and_jobs() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("model_identifier", sa.String(200), nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("benchmarks", sa.JSON, nullable=False),
        sa.Column("package", sa.LargeBinary, nullable=True),
        sa.Column("factory", sa.String(300), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("log", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("started", sa.DateTime, nullable=True),
        sa.Column("finished", sa.DateTime, nullable=True),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("benchmark", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("log", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("started", sa.DateTime, nullable=True),
        sa.Column("finished", sa.DateTime, nullable=True),
    )
