"""Job bookkeeping: malformed results fail their job with the reason (never a stuck or crashing job), only the job's
own benchmark is stored, re-queues count as attempts, and submissions are decided before scoring."""
from __future__ import annotations

import dataclasses
import time

import pytest
from sqlalchemy import select

from brainmark.compute import SerialExecutor
from brainmark.leaderboard.db import Benchmark, CompositeRow, Job, ScoreRow, Submission, User, open_database
from brainmark.leaderboard.store import add_user
from brainmark.leaderboard.workers import MAX_ATTEMPTS, Dispatcher, create_jobs
from brainmark.scores import Score
from brainmark.scoring.results import BenchmarkResult, CompositeResult, ResultsRecord

BENCH = "Coggan2024.IT-rsa"


def good_record(identifier: str = "resnet18", benchmarks: tuple[str, ...] = (BENCH,)) -> dict:
    scores = [BenchmarkResult(b, 1, Score(raw=0.2, error=0.01).with_ceiling(0.5)) for b in benchmarks]
    return ResultsRecord(model={"identifier": identifier}, scores=scores).to_dict()


def without_benchmark() -> dict:
    record = good_record()
    del record["scores"][0]["benchmark"]
    return record


def with_composite() -> dict:
    record = ResultsRecord.from_dict(good_record())
    composite = CompositeResult("brainmark-composite", 1, [BENCH], Score(raw=1.0).with_ceiling(1.0))
    return dataclasses.replace(record, composites=[composite]).to_dict()


def queued(sessions, benchmarks=(BENCH,), status="queued") -> int:  # noqa: ANN001
    with sessions.begin() as session:
        add_user(session, f"u{time.time_ns()}")
        user = session.scalars(select(User).order_by(User.id.desc())).first()
        sub = Submission(user=user, kind="zoo", model_identifier="resnet18", benchmarks=list(benchmarks),
                         status=status, log="")
        session.add(sub)
        create_jobs(session, sub)
        session.flush()
        return sub.id


def run_until_finished(sessions, runner) -> Submission:  # noqa: ANN001
    dispatcher = Dispatcher(sessions, SerialExecutor(), runner=runner, poll_seconds=0.05)
    dispatcher.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sessions() as session:
                sub = session.scalars(select(Submission).order_by(Submission.id.desc())).first()
                if sub.status in ("done", "failed"):
                    return sub
            time.sleep(0.05)
    finally:
        dispatcher.stop()
    raise AssertionError("the submission did not finish")


@pytest.mark.parametrize("outcome, reason", [
    ({"ok": True, "record": without_benchmark(), "log": ""}, "results record is malformed"),
    ({"ok": True, "record": good_record("someone-else"), "log": ""}, "not 'resnet18'"),
    ({"ok": True, "record": good_record(benchmarks=(BENCH, "<script>alert(1)</script>")), "log": ""}, "only"),
    ({"ok": True, "record": None, "log": ""}, "no results record"),
    ({"ok": "yes", "record": good_record(), "log": ""}, "boolean 'ok'"),
    (["not", "a", "dict"], "not an outcome"),
])
def test_a_malformed_result_fails_its_job_with_the_reason(tmp_path, outcome, reason):
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'lb.sqlite'}")
    queued(sessions)
    sub = run_until_finished(sessions, lambda spec: outcome)
    with sessions() as session:
        sub = session.get(Submission, sub.id)
        job = sub.jobs[0]
        assert sub.status == "failed" and job.status == "failed" and reason in job.log, job.log
        assert "result rejected" in job.log
        assert session.scalars(select(ScoreRow)).all() == [] and session.scalars(select(Benchmark)).all() == []
    Dispatcher(sessions, executor=None).requeue_interrupted()  # a restart has nothing to re-run or crash on
    with sessions() as session:
        assert session.scalar(select(Job)).status == "failed"
    engine.dispose()


def test_composites_in_a_result_are_never_stored(tmp_path):
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'lb.sqlite'}")
    queued(sessions)
    sub = run_until_finished(sessions, lambda spec: {"ok": True, "record": with_composite(), "log": "scored"})
    with sessions() as session:
        assert session.get(Submission, sub.id).status == "done"
        assert len(session.scalars(select(ScoreRow)).all()) == 1
        assert session.scalars(select(CompositeRow)).all() == []
    engine.dispose()


def test_requeues_count_as_attempts_and_end_in_failure(tmp_path):
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'lb.sqlite'}")
    queued(sessions, status="running")
    with sessions.begin() as session:
        job = session.scalar(select(Job))
        job.status, job.attempts = "running", 1
    for expected_attempts in range(2, MAX_ATTEMPTS + 1):  # the server dies during every attempt
        Dispatcher(sessions, executor=None).requeue_interrupted()
        with sessions.begin() as session:
            job = session.scalar(select(Job))
            assert job.status == "queued" and f"re-queued after attempt {expected_attempts - 1}" in job.log
            job.status, job.attempts = "running", expected_attempts  # what the next claim does
    Dispatcher(sessions, executor=None).requeue_interrupted()
    with sessions() as session:
        job = session.scalar(select(Job))
        assert job.status == "failed" and f"interrupted {MAX_ATTEMPTS} times" in job.log
        assert session.scalar(select(Submission)).status == "failed"
    engine.dispose()


def test_a_crashing_worker_is_retried_with_a_log_line_then_fails(tmp_path, caplog):
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'lb.sqlite'}")
    queued(sessions)

    def dies(spec: dict) -> dict:
        raise RuntimeError("worker lost")

    with caplog.at_level("WARNING", logger="brainmark.leaderboard.workers"):
        sub = run_until_finished(sessions, dies)
    with sessions() as session:
        job = session.get(Submission, sub.id).jobs[0]
        assert job.status == "failed" and job.attempts == MAX_ATTEMPTS
    assert sum("retrying" in r.message for r in caplog.records) == MAX_ATTEMPTS - 1
    engine.dispose()
