"""The job queue: submissions become model x benchmark jobs; a dispatcher thread hands them to an executor.

Jobs live in the database (status queued -> running -> done | failed). The dispatcher claims queued jobs, submits
:func:`~brainmark.leaderboard.jobs.run_job` to any executor with ``submit`` (a :class:`DaskExecutor` in
production; Dask re-runs a task whose worker died), and writes each finished job's scores, job status and
submission status in ONE transaction: a job is either fully recorded or still pending, never half-written.
Every outcome is checked before anything is stored (:func:`check_outcome`): a malformed one fails its job with
the reason. Only the job's own benchmark is stored, never composites or other benchmarks. Every claim counts as
an attempt, including jobs re-queued because the server stopped; past ``MAX_ATTEMPTS`` a job fails; each retry
is logged.
"""
from __future__ import annotations

import dataclasses

import logging
import threading
from dataclasses import asdict
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from brainmark.leaderboard.db import Job, Submission, utcnow
from brainmark.leaderboard.jobs import run_job
from brainmark.leaderboard.sandbox import Limits
from brainmark.leaderboard.store import import_record
from brainmark.scoring.results import ResultsRecord

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


class BadOutcome(ValueError):
    """A job's outcome cannot be stored (the message says why)."""


def job_spec(job: Job, limits: Limits, allow_unsandboxed: bool = False) -> dict[str, Any]:
    """The plain, picklable description of a job that a worker runs."""
    sub = job.submission
    return {
        "job_id": job.id, "kind": sub.kind, "model_identifier": sub.model_identifier, "benchmark": job.benchmark,
        "factory": sub.factory, "package": sub.package, "limits": asdict(limits),
        "allow_unsandboxed": allow_unsandboxed,
    }


def create_jobs(session: Session, submission: Submission) -> None:
    """One queued job per benchmark of the submission."""
    for benchmark in submission.benchmarks:
        session.add(Job(submission=submission, benchmark=benchmark, status="queued", attempts=0, log=""))


def _append(text: str, line: str) -> str:
    return (text + "\n" + line).strip()[-100_000:]


def refresh_submission(sub: Submission) -> None:
    """The submission's status from its jobs' (queued, running, done or failed; finished when all ended)."""
    states = [j.status for j in sub.jobs]
    if any(s in ("queued", "running") for s in states):
        sub.status = "running" if any(s != "queued" for s in states) else "queued"
        sub.finished = None
        return
    sub.status = "failed" if any(s == "failed" for s in states) else "done"
    sub.finished = utcnow()


def check_outcome(outcome: Any, job: Job) -> ResultsRecord | None:
    """The record to store for a successful outcome (None for a failed one); :class:`BadOutcome` if malformed.

    The record must name the submission's model and hold exactly one score, for the job's benchmark.
    """
    if not isinstance(outcome, dict) or not isinstance(outcome.get("ok"), bool):
        raise BadOutcome(f"the worker returned {type(outcome).__name__}, not an outcome with a boolean 'ok'")
    if not outcome["ok"]:
        return None
    data = outcome.get("record")
    if not isinstance(data, dict):
        raise BadOutcome("a successful outcome has no results record")
    try:
        record = ResultsRecord.from_dict(data)
    except Exception as exc:  # any malformation of the record: a reason, never a crash
        raise BadOutcome(f"the results record is malformed: {type(exc).__name__}: {exc}") from exc
    expected = job.submission.model_identifier
    if record.model_identifier != expected:
        raise BadOutcome(f"the result is for model {record.model_identifier!r}, not {expected!r}")
    benchmarks = [r.benchmark for r in record.scores]
    if benchmarks != [job.benchmark]:
        raise BadOutcome(f"the result holds scores for {benchmarks}; this job scores only {job.benchmark!r}")
    return dataclasses.replace(record, composites=[])  # composites are recomputed from stored scores, never taken


class Dispatcher:
    """Moves queued jobs to an executor and records their results (a daemon thread; ``start``/``stop``)."""

    def __init__(
        self, sessions: sessionmaker, executor: Any, runner: Callable[[dict], dict] = run_job,
        limits: Limits = Limits(), poll_seconds: float = 0.3, max_in_flight: int = 8, allow_unsandboxed: bool = False,
    ) -> None:
        self.sessions = sessions
        self.executor = executor
        self.runner = runner
        self.limits = limits
        self.poll_seconds = poll_seconds
        self.max_in_flight = max_in_flight
        self.allow_unsandboxed = allow_unsandboxed
        self._in_flight: dict[int, Any] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Dispatcher":
        """Re-queue interrupted jobs, then dispatch in a background thread."""
        self.requeue_interrupted()
        self._thread = threading.Thread(target=self._loop, name="brainmark-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop dispatching (jobs in flight stay ``running`` and are re-queued at the next start)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        """Look for new jobs now (called after a submission)."""
        self._wake.set()

    def requeue_interrupted(self) -> None:
        """Jobs left ``running`` by a stopped server go back to the queue, or fail once out of attempts."""
        with self.sessions.begin() as session:
            for job in session.scalars(select(Job).where(Job.status == "running")):
                if job.attempts >= MAX_ATTEMPTS:
                    job.status, job.finished = "failed", utcnow()
                    job.log = _append(job.log, f"failed: interrupted {job.attempts} times (limit {MAX_ATTEMPTS})")
                else:
                    job.status = "queued"
                    job.log = _append(job.log, f"re-queued after attempt {job.attempts}: the server stopped while it ran")
                    log.warning("job %s (%s) re-queued after attempt %s", job.id, job.benchmark, job.attempts)
                refresh_submission(job.submission)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # keep dispatching whatever one job did
                log.exception("dispatcher step failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def step(self) -> None:
        """Collect finished jobs, then claim and submit queued ones."""
        for job_id, future in list(self._in_flight.items()):
            if future.done():
                del self._in_flight[job_id]
                self._finish(job_id, future)
        free = self.max_in_flight - len(self._in_flight)
        if free <= 0:
            return
        with self.sessions.begin() as session:
            jobs = list(session.scalars(select(Job).where(Job.status == "queued").order_by(Job.id).limit(free)))
            specs = []
            for job in jobs:
                job.status, job.started, job.attempts = "running", utcnow(), job.attempts + 1
                sub = job.submission
                if sub.started is None:
                    sub.started = utcnow()
                sub.log = _append(sub.log, f"job {job.id} ({job.benchmark}) started, attempt {job.attempts}")
                refresh_submission(sub)
                specs.append(job_spec(job, self.limits, self.allow_unsandboxed))
        for spec in specs:
            self._in_flight[spec["job_id"]] = self.executor.submit(self.runner, spec)

    def _finish(self, job_id: int, future: Any) -> None:
        try:
            outcome = future.result()
        except Exception as exc:  # the task itself died (e.g. its worker was killed too often)
            outcome = {"ok": False, "record": None, "log": f"worker error: {type(exc).__name__}: {exc}", "retry": True}
        with self.sessions.begin() as session:
            job = session.get(Job, job_id)
            if job is not None:
                self._record(session, job, outcome)

    def _record(self, session: Session, job: Job, outcome: Any) -> None:
        sub = job.submission
        text = str(outcome.get("log", "")) if isinstance(outcome, dict) else ""
        job.log = _append(job.log, text)
        try:
            record = check_outcome(outcome, job)
            if record is not None:
                with session.begin_nested():
                    import_record(session, record, owner=sub.user if sub.kind == "upload" else None,
                                  public=sub.public if sub.kind == "upload" else True)
        except Exception as exc:  # a malformed or unstorable result fails this job, with the reason
            outcome, text = {"ok": False}, f"result rejected: {type(exc).__name__}: {exc}"
            job.log = _append(job.log, text)
        if outcome.get("ok"):
            job.status = "done"
            sub.log = _append(sub.log, f"job {job.id} ({job.benchmark}) done")
        elif outcome.get("retry") and job.attempts < MAX_ATTEMPTS:
            job.status = "queued"
            sub.log = _append(sub.log, f"job {job.id} ({job.benchmark}) will be retried: {text[-500:]}")
            log.warning("job %s (%s) attempt %s failed, retrying: %s", job.id, job.benchmark, job.attempts, text[-300:])
        else:
            job.status = "failed"
            sub.log = _append(sub.log, f"job {job.id} ({job.benchmark}) failed: {text[-2000:]}")
        job.finished = utcnow()
        refresh_submission(sub)
