"""The leaderboard database: SQLAlchemy 2 models, engine creation and programmatic Alembic migrations.

Tables: users (API token *hashes* only), sessions (browser logins: cookie *hashes*, CSRF token, expiry), models,
benchmarks (one row per identifier *and* version, so scores of different benchmark versions never mix), scores
(every field of a results-JSON benchmark score, with its interval), score_history (every score ever imported,
for history and the board as of a date), composites, submissions (at most one queued or running per model
identifier, enforced by a partial unique index) and jobs (one model x benchmark unit of work). SQLite under
``$BRAINMARK_HOME/leaderboard.sqlite`` by default (the file is created with mode 0600); any SQLAlchemy URL (e.g.
``postgresql+psycopg://user:pw@host:5432/db``) otherwise.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

from brainmark import paths

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def utcnow() -> datetime:
    """Now, in UTC, without a time zone (as stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    """The declarative base of the leaderboard tables (JSON and binary column types)."""
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, bytes: LargeBinary}


class User(Base):
    """A user: name and the hash of their API token."""
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginSession(Base):
    """A browser login: the cookie's hash, its CSRF token and when it expires."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(DateTime)
    user: Mapped[User] = relationship()


class Model(Base):
    """A scored model: owner, visibility, metadata and environment of its results record."""
    __tablename__ = "models"
    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    model_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    environment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    record_created: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: last change of the row (visibility, metadata): part of the board cache's fingerprint
    updated: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, default=utcnow)
    owner: Mapped[User | None] = relationship()
    scores: Mapped[list["ScoreRow"]] = relationship(back_populates="model", cascade="all, delete-orphan")
    composites: Mapped[list["CompositeRow"]] = relationship(back_populates="model", cascade="all, delete-orphan")


class Benchmark(Base):
    """A benchmark version with its ceiling, description, data and citation."""
    __tablename__ = "benchmarks"
    __table_args__ = (UniqueConstraint("identifier", "version", name="uq_benchmark_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    ceiling: Mapped[float | None] = mapped_column(Float, nullable=True)
    ceiling_error: Mapped[float | None] = mapped_column(Float, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="")
    bibtex: Mapped[str] = mapped_column(Text, default="")
    scores: Mapped[list["ScoreRow"]] = relationship(back_populates="benchmark")


class ScoreColumns:
    """The fields of one stored benchmark score (a results-JSON entry), shared by current and history rows."""

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id"), index=True)
    raw: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[float | None] = mapped_column(Float, nullable=True)
    ceiling: Mapped[float | None] = mapped_column(Float, nullable=True)
    ceiling_error: Mapped[float | None] = mapped_column(Float, nullable=True)
    ceiled: Mapped[float | None] = mapped_column(Float, nullable=True)
    ceiled_error: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_level: Mapped[float | None] = mapped_column(Float, nullable=True)
    convention: Mapped[str | None] = mapped_column(String(40), nullable=True)
    layer: Mapped[str | None] = mapped_column(String(300), nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the brainmark version that computed the score (the record's environment), not the importing server's
    brainmark_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    environment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: when the score was computed (the results record's ``created``; None for rows older than migration 0003)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: when it was imported onto the board
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ScoreRow(ScoreColumns, Base):
    """One model's current score on one benchmark version: the results-JSON entry, field by field."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("model_id", "benchmark_id", name="uq_score_model_benchmark"),)
    model: Mapped[Model] = relationship(back_populates="scores")
    benchmark: Mapped[Benchmark] = relationship(back_populates="scores")


class ScoreHistory(ScoreColumns, Base):
    """Every score ever imported (a re-import that replaces a current score keeps the old one here), for a model's
    history and the board as of a date. ``content_hash`` skips storing an identical re-import twice."""

    __tablename__ = "score_history"
    __table_args__ = (Index("ix_score_history_model_benchmark", "model_id", "benchmark_id", "created"),)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model: Mapped[Model] = relationship()
    benchmark: Mapped[Benchmark] = relationship()


class CompositeRow(Base):
    """A composite score of a model (one per identifier and version)."""
    __tablename__ = "composites"
    __table_args__ = (UniqueConstraint("model_id", "identifier", "version", name="uq_composite_model"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    components: Mapped[list[Any]] = mapped_column(JSON, default=list)
    score: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ceiled: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_level: Mapped[float | None] = mapped_column(Float, nullable=True)
    model: Mapped[Model] = relationship(back_populates="composites")


ACTIVE = "status IN ('queued', 'running')"


class Submission(Base):
    """A submitted model (zoo identifier or uploaded package) and its scoring status."""
    __tablename__ = "submissions"
    __table_args__ = (Index("uq_active_submission", "model_identifier", unique=True,
                            sqlite_where=text(ACTIVE), postgresql_where=text(ACTIVE)),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "zoo" | "upload"
    model_identifier: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    benchmarks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    package: Mapped[bytes | None] = mapped_column(nullable=True)  # the validated upload zip
    factory: Mapped[str | None] = mapped_column(String(300), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    log: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    user: Mapped[User] = relationship()
    jobs: Mapped[list["Job"]] = relationship(back_populates="submission", cascade="all, delete-orphan")


class Job(Base):
    """One model x benchmark unit of work of a submission."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    benchmark: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    log: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    submission: Mapped[Submission] = relationship(back_populates="jobs")


def default_url() -> str:
    """The SQLite file in the brainmark home."""
    return f"sqlite:///{paths.home() / 'leaderboard.sqlite'}"


def protect_sqlite_file(url: str) -> None:
    """Create the SQLite file with mode 0600 (its -wal/-shm files inherit it) and tighten an existing one."""
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path.startswith(":memory:") or path.startswith("file:"):
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.chmod(path + suffix, 0o600)


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the SQLite file in the brainmark home)."""
    url = url or default_url()
    if url.startswith("sqlite"):
        protect_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Any:
    """The Alembic configuration of the shipped migrations, for ``engine``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` with the migrations shipped in the package."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def open_database(url: str | None = None) -> tuple[Engine, sessionmaker]:
    """Engine + session factory for ``url``, migrated to the latest schema."""
    engine = make_engine(url)
    migrate(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)
