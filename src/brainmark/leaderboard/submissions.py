"""Turning a request into a queued submission, with every rule decided before any scoring starts.

- Uploaded models are namespaced by their owner (``alice/my-net``): a name can only be "taken" by yourself, so no
  answer ever reveals another user's private model.
- ``public`` is a boolean, private is the default, and a form and a package's ``metadata.json`` that disagree are
  refused (400) instead of one silently winning. Zoo results are always public.
- Rate limits per user and per IP, and at most ``max_active_jobs`` queued or running jobs per user (429).
- At most one queued or running submission per model identifier (a partial unique index): the second of two
  concurrent submissions gets 409 naming the first.
- Uploads are refused (503) where the workers cannot sandbox code, unless the operator allowed unsandboxed runs.
"""
from __future__ import annotations

from typing import Any, Callable

from fastapi import HTTPException, Request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from brainmark.leaderboard.auth import client_ip
from brainmark.leaderboard.db import Job, Model, Submission, User
from brainmark.leaderboard.uploads import UploadError, check_identifier, validate_package
from brainmark.leaderboard.workers import create_jobs


def known_models() -> list[str] | None:
    """Zoo model identifiers, or None when the models layer offers no registry to check against."""
    try:
        import brainmark.models as models

        registry = getattr(models, "MODELS", None)
        return sorted(registry.names()) if registry is not None else None
    except Exception:
        return None


def choose_benchmarks(requested: list[str] | None, available: list[str]) -> list[str]:
    """The requested benchmarks (default: all available), each checked against ``available``."""
    chosen = [b for b in (requested or []) if b] or available
    if not chosen:
        raise HTTPException(400, "no benchmarks given and none are configured; pass benchmark identifiers")
    unknown = [b for b in chosen if available and b not in available]
    if unknown:
        raise HTTPException(400, f"unknown benchmarks {unknown}; choose from {available}")
    return list(dict.fromkeys(chosen))


def choose_public(requested: bool | None, declared: bool | None) -> bool:
    """The visibility: the form's and the package's must agree when both are given; private by default."""
    if requested is not None and declared is not None and requested != declared:
        say = {True: "public", False: "private"}
        raise HTTPException(400, f"the form asks for a {say[requested]} model but metadata.json says "
                                 f"\"public\": {str(declared).lower()}; make them agree")
    return bool(requested if requested is not None else declared if declared is not None else False)


def parse_public(value: Any) -> bool | None:
    """A form's ``public`` field: true/false (also on/off, 1/0 from checkboxes); None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise HTTPException(400, "'public' must be a form field holding true or false")
    lowered = value.strip().lower()
    if lowered in ("true", "on", "1", "public"):
        return True
    if lowered in ("false", "off", "0", "private"):
        return False
    raise HTTPException(400, f"'public' must be true or false, got {value!r}")


def check_limits(request: Request, session: Session, user: User) -> None:
    """429 when the user or their address submitted too often, or the user has too many active jobs."""
    config, limiter = request.app.state.config, request.app.state.limiter
    limiter.check(config.submissions_per_user, "submit-user", str(user.id), "submissions by this user")
    limiter.check(config.submissions_per_ip, "submit-ip", client_ip(request), "submissions from this address")
    active = session.scalar(select(func.count(Job.id)).join(Submission)
                            .where(Submission.user_id == user.id, Job.status.in_(("queued", "running"))))
    if active >= config.max_active_jobs:
        raise HTTPException(429, f"you have {active} jobs queued or running (limit {config.max_active_jobs}); "
                                 "wait for them to finish")


def check_sandbox(request: Request) -> None:
    """503 when the workers cannot sandbox uploaded code and the operator did not allow unsandboxed runs."""
    reason = request.app.state.sandbox_reason()
    if reason is not None and not request.app.state.config.allow_unsandboxed:
        raise HTTPException(503, f"uploads are disabled: the workers cannot sandbox untrusted code ({reason}). "
                                 "The operator must install bubblewrap (scripts/install-system-deps.sh) or start "
                                 "the server with --allow-unsandboxed-uploads")


def _upload_fields(request: Request, user: User, package: bytes) -> tuple[str, str, bool | None]:
    check_sandbox(request)
    try:
        info = validate_package(package)
    except UploadError as exc:
        raise HTTPException(400, str(exc)) from exc
    return f"{user.name}/{info.identifier}", info.factory, info.public


def create_submission(request: Request, session: Session, user: User, *, zoo_identifier: str = "",
                      benchmarks: list[str] | None = None, public: bool | None = None,
                      package: bytes | None = None) -> Submission:
    """Validate, then queue a submission and its jobs in one transaction (raises HTTPException)."""
    chosen = choose_benchmarks(benchmarks, request.app.state.benchmarks())
    factory = None
    if package is not None:
        identifier, factory, declared = _upload_fields(request, user, package)
        kind, public = "upload", choose_public(public, declared)
    else:
        kind, identifier, public = "zoo", zoo_identifier.strip(), True
        if not identifier:
            raise HTTPException(400, "give a zoo model identifier or upload a model package zip")
        try:
            check_identifier(identifier)
        except UploadError as exc:
            raise HTTPException(400, str(exc)) from exc
        zoo = known_models()
        if zoo is not None and identifier.removesuffix("-untrained") not in zoo:
            raise HTTPException(400, f"unknown zoo model {identifier!r}; known: {', '.join(zoo[:30])}")
    existing = session.scalar(select(Model).where(Model.identifier == identifier))
    if kind == "upload" and existing is not None and existing.owner_id != user.id:  # only an import can put one there
        raise HTTPException(409, f"{identifier} was imported by the operator; choose another identifier")
    check_limits(request, session, user)
    sub = Submission(user=user, kind=kind, model_identifier=identifier, public=public, benchmarks=chosen,
                     package=package, factory=factory, status="queued",
                     log=f"submitted {kind} model {identifier} ({'public' if public else 'private'}) on {', '.join(chosen)}")
    session.add(sub)
    create_jobs(session, sub)

    def conflict() -> str:
        other = session.scalar(select(Submission.id).where(Submission.model_identifier == identifier,
                                                           Submission.status.in_(("queued", "running"))))
        return (f"{identifier} is already being scored (submission {other}); wait for it to finish before submitting "
                "it again")

    commit_queued(session, request, conflict)
    return sub


def commit_queued(session: Session, request: Request, conflict: Callable[[], str]) -> None:
    """Commit newly queued work and wake the dispatcher; a 409 with ``conflict()`` (asked after the rollback) when
    another submission of the same identifier is queued or running (the database's unique index)."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise HTTPException(409, conflict()) from exc
    dispatcher = request.app.state.dispatcher
    if dispatcher is not None:
        dispatcher.wake()


def own_submission(session: Session, submission_id: int, user: User) -> Submission:
    """The user's own submission, or 404 (other users' submissions do not exist for them)."""
    sub = session.get(Submission, submission_id)
    if sub is None or sub.user_id != user.id:
        raise HTTPException(404, f"no submission {submission_id} of yours")
    return sub


def submission_json(sub: Submission) -> dict[str, Any]:
    """The API view of a submission (its owner only)."""
    return {
        "id": sub.id, "kind": sub.kind, "model_identifier": sub.model_identifier, "public": sub.public,
        "status": sub.status, "benchmarks": list(sub.benchmarks), "created": sub.created.isoformat(),
        "started": sub.started.isoformat() if sub.started else None,
        "finished": sub.finished.isoformat() if sub.finished else None, "log": sub.log,
        "jobs": [{"id": j.id, "benchmark": j.benchmark, "status": j.status, "attempts": j.attempts, "log": j.log}
                 for j in sub.jobs],
        "results": f"/api/models/{sub.model_identifier}" if sub.status in ("done", "failed") else None,
    }
