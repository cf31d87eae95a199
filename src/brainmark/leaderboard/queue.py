"""A user's own queue and models: submissions with each job's state and failure reason, re-running a failed job,
and the public/private toggle of the models they uploaded.

- A failed job is re-run by its owner only: it goes back to the queue with a fresh attempt count (the log keeps
  the earlier tries), under the same limits as a new submission (rate limits, active jobs, one active submission
  per model identifier: 409 while another is being scored, and the sandbox check for uploads).
- Visibility belongs to the uploader: zoo results have no owner and stay public. The choice also updates the
  model's submissions, so a later re-run does not undo it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brainmark.leaderboard.db import Job, Model, Submission, User, utcnow
from brainmark.leaderboard.submissions import check_limits, check_sandbox, commit_queued, own_submission
from brainmark.leaderboard.workers import refresh_submission

STATES = {"queued": "pending", "running": "running", "done": "finished", "failed": "failed"}
TAIL_LINES = 20


@dataclass(frozen=True)
class JobView:
    """A job as its owner sees it: state, the reason it failed, and the end of its log."""

    job: Job
    state: str
    reason: str
    tail: str


def failure_reason(log: str) -> str:
    """The line of a job's log that says why it failed (the last one naming a failure, else the last line)."""
    lines = [line.strip() for line in (log or "").splitlines() if line.strip()]
    for line in reversed(lines):
        lowered = line.lower()
        if any(word in lowered for word in ("failed", "rejected", "error", "limit", "refused", "killed")):
            return line[:500]
    return lines[-1][:500] if lines else "no log was recorded"


def job_view(job: Job) -> JobView:
    """How ``job`` is shown in its owner's queue."""
    lines = (job.log or "").splitlines()
    return JobView(job, STATES.get(job.status, job.status), failure_reason(job.log) if job.status == "failed" else "",
                   "\n".join(lines[-TAIL_LINES:]))


def user_queue(session: Session, user: User) -> list[tuple[Submission, list[JobView]]]:
    """The user's submissions, newest first, each with its jobs."""
    subs = session.scalars(select(Submission).where(Submission.user_id == user.id).order_by(Submission.id.desc())
                           .options(selectinload(Submission.jobs)))
    return [(s, [job_view(j) for j in sorted(s.jobs, key=lambda j: j.id)]) for s in subs]


def user_models(session: Session, user: User) -> list[Model]:
    """The models the user owns (their uploads)."""
    return list(session.scalars(select(Model).where(Model.owner_id == user.id).order_by(Model.identifier)))


def rerun_job(request: Request, session: Session, user: User, submission_id: int, job_id: int) -> Job:
    """Queue a failed job of the user's own submission again (commits; raises HTTPException with the reason)."""
    sub = own_submission(session, submission_id, user)
    job = next((j for j in sub.jobs if j.id == job_id), None)
    if job is None:
        raise HTTPException(404, f"submission {submission_id} has no job {job_id}")
    if job.status != "failed":
        raise HTTPException(409, f"job {job_id} is {STATES.get(job.status, job.status)}; only a failed job can be re-run")
    if sub.kind == "upload":
        check_sandbox(request)
    check_limits(request, session, user)
    job.status, job.attempts, job.started, job.finished = "queued", 0, None, None
    job.log = (job.log + f"\nre-run by {user.name} at {utcnow().isoformat(timespec='seconds')}").strip()
    sub.log = (sub.log + f"\njob {job.id} ({job.benchmark}) re-run by {user.name}").strip()
    refresh_submission(sub)
    identifier = sub.model_identifier
    commit_queued(session, request, lambda: f"{identifier} is already being scored by another submission; re-run "
                                            "this job when it has finished")
    return job


def set_visibility(session: Session, user: User, identifier: str, public: bool) -> Model:
    """Make one of the user's models public or private (commits)."""
    model = session.scalar(select(Model).where(Model.identifier == identifier))
    if model is None or (model.owner_id != user.id and not model.public):
        raise HTTPException(404, f"no model {identifier!r}")
    if model.owner_id != user.id:
        raise HTTPException(403, f"{identifier} is not yours: only the user who uploaded a model can change its "
                                 "visibility (zoo results are always public)")
    model.public, model.updated = public, utcnow()
    for sub in session.scalars(select(Submission).where(Submission.model_identifier == identifier,
                                                        Submission.user_id == user.id)):
        sub.public = public
    session.commit()
    return model


def queue_json(sub: Submission, jobs: list[JobView]) -> dict[str, Any]:
    """A submission of the queue, for the API: its jobs with state, failure reason and log tail."""
    return {"id": sub.id, "model_identifier": sub.model_identifier, "kind": sub.kind, "public": sub.public,
            "status": sub.status, "state": STATES.get(sub.status, sub.status), "created": sub.created.isoformat(),
            "finished": sub.finished.isoformat() if sub.finished else None,
            "jobs": [{"id": j.job.id, "benchmark": j.job.benchmark, "status": j.job.status, "state": j.state,
                      "attempts": j.job.attempts, "reason": j.reason, "log_tail": j.tail} for j in jobs]}
