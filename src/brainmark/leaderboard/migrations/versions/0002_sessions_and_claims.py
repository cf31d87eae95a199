"""Browser sessions (separate from API tokens) and one active submission per model identifier.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    """Add the sessions table and the one-active-submission-per-identifier index."""
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("expires", sa.DateTime, nullable=False),
    )
    _fail_duplicate_active_submissions()
    op.create_index("uq_active_submission", "submissions", ["model_identifier"], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def _fail_duplicate_active_submissions() -> None:
    """An older database may hold two queued submissions of one identifier: the later ones fail, with the reason."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, model_identifier FROM submissions WHERE {ACTIVE} ORDER BY id")).fetchall()
    seen: set[str] = set()
    for sub_id, identifier in rows:
        if identifier not in seen:
            seen.add(identifier)
            continue
        note = "\nfailed at upgrade: an earlier submission of this identifier was already queued or running"
        conn.execute(sa.text("UPDATE submissions SET status = 'failed', log = log || :note WHERE id = :id"),
                     {"note": note, "id": sub_id})
        conn.execute(sa.text(f"UPDATE jobs SET status = 'failed' WHERE submission_id = :id AND {ACTIVE}"),
                     {"id": sub_id})


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_index("uq_active_submission", table_name="submissions")
    op.drop_table("sessions")
