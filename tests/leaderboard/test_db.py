"""Database: migrations, import of results records, versions kept apart, tokens stored as hashes (SQLite + PostgreSQL)."""
from __future__ import annotations

import dataclasses
import json
import math

import pytest
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from brainmark.leaderboard.db import Benchmark, Model, ScoreRow, User, open_database
from brainmark.leaderboard.store import (
    PermissionDenied,
    add_user,
    authenticate,
    export_record,
    hash_token,
    import_record,
    leaderboard,
)
from brainmark.scoring.results import ResultsRecord


def test_migrations_create_every_table(database_url):
    engine, _ = open_database(database_url)
    tables = set(inspect(engine).get_table_names())
    assert {"users", "models", "benchmarks", "scores", "composites", "submissions", "jobs", "alembic_version"} <= tables
    open_database(database_url)  # idempotent: a second upgrade is a no-op
    engine.dispose()


def test_import_round_trips_every_score_field(database_url, make_record):
    engine, sessions = open_database(database_url)
    record = make_record("net-a", {"Coggan2024.IT-rsa": 0.42, "Cowley2023.V4-pls": 0.31}, top1=0.71)
    with sessions.begin() as session:
        import_record(session, record)
    with sessions() as session:
        model = session.scalar(select(Model).where(Model.identifier == "net-a"))
        back = export_record(model)
    original = {s.benchmark: s for s in record.scores}
    assert len(back.scores) == 2
    for s in back.scores:
        a, b = original[s.benchmark].score, s.score
        for field in ("raw", "error", "ceiling", "ceiling_error", "ceiled", "ceiled_error"):
            assert getattr(a, field) == pytest.approx(getattr(b, field), abs=0, rel=1e-15)
        assert b.convention == "ratio"
        assert list(b.values["split"]) == list(a.values["split"])
        assert b.meta["layer_scores"] == a.to_dict()["meta"]["layer_scores"]
        assert s.layer == "layer2" and s.seconds == 1.5 and s.benchmark_version == 1
    assert back.model["imagenet_top1"] == 0.71
    assert back.environment == record.environment
    ResultsRecord.from_dict(json.loads(back.to_json()))  # a valid results file
    engine.dispose()


def test_benchmark_versions_never_mix(database_url, make_record):
    engine, sessions = open_database(database_url)
    with sessions.begin() as session:
        import_record(session, make_record("old-net", {"B": 0.9}, version=1))
        import_record(session, make_record("new-net", {"B": 0.3}, version=2))
        import_record(session, make_record("both-net", {"B": 0.5}, version=1))
        import_record(session, make_record("both-net", {"B": 0.4}, version=2))
    with sessions() as session:
        assert session.scalar(select(Benchmark).where(Benchmark.identifier == "B", Benchmark.version == 1)) is not None
        assert len(session.scalars(select(ScoreRow)).all()) == 4  # two versions of both-net are kept apart
        board = leaderboard(session)
        assert [(b.identifier, b.version) for b in board.benchmarks] == [("B", 2)]  # newest version is the column
        by_model = {r.model.identifier: r for r in board.rows}
        assert ("B", 1) not in by_model["new-net"].cells
        assert by_model["both-net"].cells[("B", 2)].raw == pytest.approx(0.4)
        assert by_model["old-net"].composite is None  # its only score is on the old version: not ranked with v2
        assert [r.model.identifier for r in board.rows][:2] == ["both-net", "new-net"]
    engine.dispose()


def test_reimport_replaces_same_version_only(database_url, make_record):
    engine, sessions = open_database(database_url)
    with sessions.begin() as session:
        import_record(session, make_record("net", {"B": 0.2}))
    with sessions.begin() as session:
        import_record(session, make_record("net", {"B": 0.6}))
    with sessions() as session:
        rows = session.scalars(select(ScoreRow)).all()
        assert len(rows) == 1 and rows[0].raw == pytest.approx(0.6)
        assert rows[0].ceiled == pytest.approx(0.6 / 0.8)
    engine.dispose()


def test_tokens_are_stored_only_as_hashes(database_url):
    engine, sessions = open_database(database_url)
    with sessions.begin() as session:
        token = add_user(session, "alice")
    with sessions() as session:
        user = session.scalar(select(User))
        assert user.token_hash == hash_token(token) and token not in user.token_hash
        assert authenticate(session, token).name == "alice"
        assert authenticate(session, token + "x") is None and authenticate(session, None) is None
    engine.dispose()


def test_another_users_model_cannot_be_overwritten(sqlite_url, make_record):
    engine, sessions = open_database(sqlite_url)
    with sessions.begin() as session:
        add_user(session, "alice"), add_user(session, "bob")
        alice, bob = session.scalars(select(User).order_by(User.name)).all()
        import_record(session, make_record("mine", {"B": 0.5}), owner=alice, public=False)
    with pytest.raises(PermissionDenied), sessions.begin() as session:
        bob = session.scalar(select(User).where(User.name == "bob"))
        import_record(session, make_record("mine", {"B": 0.9}), owner=bob)
    with sessions() as session:
        assert session.scalar(select(ScoreRow)).raw == pytest.approx(0.5)  # the failed import left nothing
        alice = session.scalar(select(User).where(User.name == "alice"))
        bob = session.scalar(select(User).where(User.name == "bob"))
        assert [r.model.identifier for r in leaderboard(session, alice).rows] == ["mine"]
        assert leaderboard(session, bob).rows == [] and leaderboard(session, None).rows == []
    engine.dispose()


def test_nan_scores_are_stored_as_null(sqlite_url, make_record):
    engine, sessions = open_database(sqlite_url)
    record = make_record("nan-net", {"B": 0.5})
    entry = record.scores[0]
    entry = dataclasses.replace(entry, score=entry.score.with_ceiling(-1.0))  # a non-positive ceiling -> NaN ceiled
    record = dataclasses.replace(record, scores=[entry])
    with sessions.begin() as session:
        import_record(session, record)
    with sessions() as session:
        row = session.scalar(select(ScoreRow))
        assert row.ceiled is None and row.raw == pytest.approx(0.5)
        assert math.isnan(export_record(row.model).scores[0].score.ceiled)
    engine.dispose()


def test_cli_add_user_and_import(tmp_path, sqlite_url, make_record):
    from brainmark.cli.main import app

    runner = CliRunner()
    out = runner.invoke(app, ["leaderboard", "add-user", "carol", "--database-url", sqlite_url])
    assert out.exit_code == 0, out.output
    token = out.output.strip().splitlines()[-1]
    paths = [make_record(f"m{i}", {"B": 0.1 * (i + 1)}).save(tmp_path / f"m{i}.json") for i in range(2)]
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something-else"}')
    out = runner.invoke(app, ["leaderboard", "import", *map(str, paths), "--database-url", sqlite_url, "--owner", "carol"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["leaderboard", "import", str(bad), "--database-url", sqlite_url])
    assert out.exit_code == 1 and "not a brainmark results record" in out.output
    engine, sessions = open_database(sqlite_url)
    with sessions() as session:
        assert authenticate(session, token).name == "carol"
        assert [r.model.identifier for r in leaderboard(session).rows] == ["m1", "m0"]
        assert all(m.owner.name == "carol" for m in session.scalars(select(Model)))
    engine.dispose()


def test_upgrading_a_database_with_duplicate_active_submissions(database_url):
    """0001 -> head: the partial unique index is created after later duplicates are failed with the reason."""
    import sqlalchemy as sa

    from brainmark.leaderboard.db import make_engine, migrate

    engine = make_engine(database_url)
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (name, token_hash, created) VALUES ('u', 'h', '2026-01-01')"))
        for _ in range(2):
            conn.execute(sa.text(
                "INSERT INTO submissions (user_id, kind, model_identifier, public, benchmarks, status, log, created) "
                "VALUES (1, 'zoo', 'resnet18', true, '[]', 'queued', 'submitted', '2026-01-01')"))
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, log FROM submissions ORDER BY id")).fetchall()
    assert [r[0] for r in rows] == ["queued", "failed"] and "failed at upgrade" in rows[1][1]
    assert "uq_active_submission" in {i["name"] for i in inspect(engine).get_indexes("submissions")}
    engine.dispose()
