"""The job queue: submissions become model x benchmark jobs; a dispatcher thread hands them to an executor.

Jobs live in the database (status queued -> running -> done | failed). The dispatcher claims queued jobs, submits
:func:`~brainmark.leaderboard.jobs.run_job` to any executor with ``submit`` (a :class:`DaskExecutor` in
production; Dask re-runs a task whose worker died), and writes each finished job's scores, job status and
submission status in ONE transaction: a job is either fully recorded or still pending, never half-written.
Jobs left ``running`` by a stopped server are re-queued when the next dispatcher starts.
"""
from __future__ import annotations

import logging
from dataclasses import asdict
import threading
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from brainmark.errors import BrainmarkError
from brainmark.leaderboard.db import Job, Submission, utcnow
from brainmark.leaderboard.jobs import run_job
from brainmark.leaderboard.sandbox import Limits
from brainmark.leaderboard.store import import_record
from brainmark.scoring.results import ResultsRecord

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def job_spec(job: Job, limits: Limits) -> dict[str, Any]:
    """What a worker needs to run ``job``: model, benchmark, package and limits (no database access)."""
    sub = job.submission
    return {
        "job_id": job.id, "kind": sub.kind, "model_identifier": sub.model_identifier, "benchmark": job.benchmark,
        "factory": sub.factory, "package": sub.package, "limits": asdict(limits),
    }


def create_jobs(session, submission: Submission) -> None:  # noqa: ANN001
    """Queue one job per benchmark of ``submission``."""
    for benchmark in submission.benchmarks:
        session.add(Job(submission=submission, benchmark=benchmark, status="queued", attempts=0, log=""))


def _append(text: str, line: str) -> str:
    return (text + "\n" + line).strip()[-100_000:]


def _refresh_submission(sub: Submission) -> None:
    states = [j.status for j in sub.jobs]
    if any(s in ("queued", "running") for s in states):
        sub.status = "running" if any(s != "queued" for s in states) else "queued"
        return
    sub.status = "failed" if any(s == "failed" for s in states) else "done"
    sub.finished = utcnow()


class Dispatcher:
    """Moves queued jobs to an executor and records their results (a daemon thread; ``start``/``stop``)."""

    def __init__(
        self, sessions: sessionmaker, executor: Any, runner: Callable[[dict], dict] = run_job,
        limits: Limits = Limits(), poll_seconds: float = 0.3, max_in_flight: int = 8,
    ) -> None:
        self.sessions = sessions
        self.executor = executor
        self.runner = runner
        self.limits = limits
        self.poll_seconds = poll_seconds
        self.max_in_flight = max_in_flight
        self._in_flight: dict[int, Any] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Dispatcher":
        """Re-queue interrupted jobs and start dispatching in a daemon thread."""
        self.requeue_interrupted()
        self._thread = threading.Thread(target=self._loop, name="brainmark-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop dispatching and wait for the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        """Look for new jobs now (called after a submission)."""
        self._wake.set()

    def requeue_interrupted(self) -> None:
        """Put the jobs left running by a stopped server back in the queue."""
        with self.sessions.begin() as session:
            for job in session.scalars(select(Job).where(Job.status == "running")):
                job.status = "queued"
                job.log = _append(job.log, "re-queued: the server stopped while this job ran")

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
                _refresh_submission(sub)
                specs.append(job_spec(job, self.limits))
        for spec in specs:
            self._in_flight[spec["job_id"]] = self.executor.submit(self.runner, spec)

    def _finish(self, job_id: int, future: Any) -> None:
        try:
            outcome = future.result()
        except Exception as exc:  # the task itself died (e.g. its worker was killed too often)
            outcome = {"ok": False, "record": None, "log": f"worker error: {type(exc).__name__}: {exc}", "retry": True}
        with self.sessions.begin() as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            sub = job.submission
            job.log = _append(job.log, outcome.get("log", ""))
            if outcome.get("ok"):
                try:
                    with session.begin_nested():
                        record = ResultsRecord.from_dict(outcome["record"])
                        import_record(session, record, owner=sub.user if sub.kind == "upload" else None,
                                      public=sub.public if sub.kind == "upload" else True)
                except BrainmarkError as exc:
                    outcome = {"ok": False, "log": f"result rejected: {exc}"}
            if outcome.get("ok"):
                job.status = "done"
                sub.log = _append(sub.log, f"job {job.id} ({job.benchmark}) done")
            elif outcome.get("retry") and job.attempts < MAX_ATTEMPTS:
                job.status = "queued"
                sub.log = _append(sub.log, f"job {job.id} ({job.benchmark}) will be retried: {outcome['log']}")
            else:
                job.status = "failed"
                sub.log = _append(sub.log, f"job {job.id} ({job.benchmark}) failed: {outcome.get('log', '')[-2000:]}")
            job.finished = utcnow()
            _refresh_submission(sub)
