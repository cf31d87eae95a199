"""A user's queue: failed jobs show why, their owner re-runs them (and only they, only failed ones, under the
submission limits); uploaders make their models public or private, and the cached board follows at once."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from brainmark.compute import SerialExecutor
from brainmark.leaderboard import web
from brainmark.leaderboard.db import Job, Submission, User
from brainmark.leaderboard.queue import failure_reason
from brainmark.leaderboard.store import add_user, import_record
from brainmark.scores import Score
from brainmark.scoring.results import BenchmarkResult, ResultsRecord

ORIGIN = {"Origin": "https://testserver"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def flaky_runner(fail_first: set[str]):  # noqa: ANN201
    """A job runner whose first try of the listed benchmarks fails for good (no retry), later tries succeed."""
    tried: set[str] = set()

    def run(spec: dict) -> dict:
        if spec["benchmark"] in fail_first and spec["benchmark"] not in tried:
            tried.add(spec["benchmark"])
            return {"ok": False, "record": None, "retry": False,
                    "log": "loading weights\nscoring failed: the model ran out of memory (limit 512 MB)"}
        score = Score(raw=0.3, error=0.01, meta={"kind": "neural", "region": "IT"}).with_ceiling(0.5)
        record = ResultsRecord(model={"identifier": spec["model_identifier"]},
                               scores=[BenchmarkResult(spec["benchmark"], 1, score, layer="b", seconds=0.1)])
        return {"ok": True, "record": record.to_dict(), "log": "scored"}

    return run


def wait(client: TestClient, token: str, submission: int, status: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sub = client.get(f"/api/submissions/{submission}", headers=auth(token)).json()
        if sub["status"] == status:
            return sub
        time.sleep(0.1)
    raise AssertionError(f"submission {submission} did not become {status}: {sub}")


@pytest.fixture
def tokens(sqlite_url):  # noqa: ANN201
    app = web.create_app(sqlite_url)
    with app.state.sessions.begin() as session:
        out = {name: add_user(session, name) for name in ("alice", "bob")}
    app.state.engine.dispose()
    return out


def test_a_failed_job_says_why_and_its_owner_reruns_it(sqlite_url, tokens):
    app = web.create_app(sqlite_url, SerialExecutor(), default_benchmarks=["B1", "B2"], runner=flaky_runner({"B2"}))
    with TestClient(app) as client:
        alice = auth(tokens["alice"])
        sub = client.post("/api/submissions", json={"model_identifier": "resnet18"}, headers=alice).json()
        done = wait(client, tokens["alice"], sub["id"], "failed")
        failed = next(j for j in done["jobs"] if j["status"] == "failed")
        (queue,) = client.get("/api/queue", headers=alice).json()
        job = next(j for j in queue["jobs"] if j["id"] == failed["id"])
        assert job["state"] == "failed" and job["reason"] == "scoring failed: the model ran out of memory (limit 512 MB)"
        assert "loading weights" in job["log_tail"] and queue["state"] == "failed"
        path = f"/api/submissions/{sub['id']}/jobs/{failed['id']}/rerun"
        assert client.post(path, headers=auth(tokens["bob"])).status_code == 404  # not bob's
        done_job = next(j for j in done["jobs"] if j["status"] == "done")
        other = client.post(f"/api/submissions/{sub['id']}/jobs/{done_job['id']}/rerun", headers=alice)
        assert other.status_code == 409 and "only a failed job" in other.json()["detail"]
        response = client.post(path, headers=alice)
        assert response.status_code == 200, response.text
        again = wait(client, tokens["alice"], sub["id"], "done")
        rerun = next(j for j in again["jobs"] if j["id"] == failed["id"])
        assert rerun["attempts"] == 1 and "re-run by alice" in rerun["log"] and "out of memory" in rerun["log"]
        assert client.get("/api/leaderboard").json()["models"][0]["identifier"] == "resnet18"
        assert client.post(path, headers=alice).status_code == 409  # done now


def test_rerun_respects_the_one_active_submission_per_model_rule(sqlite_url, tokens):
    app = web.create_app(sqlite_url, default_benchmarks=["B1"])  # no executor: jobs stay queued
    with app.state.sessions.begin() as session:
        alice = session.scalar(select(User).where(User.name == "alice"))
        failed = Submission(user=alice, kind="zoo", model_identifier="resnet18", benchmarks=["B1"], status="failed",
                            log="")
        session.add(failed)
        session.add(Job(submission=failed, benchmark="B1", status="failed", attempts=3, log="failed: time limit"))
    with TestClient(app) as client:
        h = auth(tokens["alice"])
        assert client.post("/api/submissions", json={"model_identifier": "resnet18"}, headers=h).status_code == 201
        job = client.get("/api/queue", headers=h).json()[-1]["jobs"][0]
        response = client.post(f"/api/submissions/1/jobs/{job['id']}/rerun", headers=h)
        assert response.status_code == 409 and "already being scored" in response.json()["detail"]
        assert client.get("/api/queue", headers=h).json()[-1]["jobs"][0]["status"] == "failed"  # left as it was


def test_uploaders_toggle_visibility_and_the_cached_board_follows(sqlite_url, tokens, make_record):
    app = web.create_app(sqlite_url)
    with app.state.sessions.begin() as session:
        alice = session.scalar(select(User).where(User.name == "alice"))
        import_record(session, make_record("alice/net", {"B": 0.5}), owner=alice, public=True)
        import_record(session, make_record("zoo-net", {"B": 0.4}))
        session.add(Submission(user=alice, kind="upload", model_identifier="alice/net", public=True, benchmarks=["B"],
                               status="done", log=""))
    client = TestClient(app, base_url="https://testserver")
    names = lambda: [m["identifier"] for m in client.get("/api/leaderboard").json()["models"]]  # noqa: E731
    assert names() == ["alice/net", "zoo-net"] and "alice/net" in client.get("/").text
    h = auth(tokens["alice"])
    assert client.patch("/api/models/alice/net", json={"public": False}, headers=auth(tokens["bob"])).status_code == 403
    response = client.patch("/api/models/alice/net", json={"public": False}, headers=h)
    assert response.status_code == 200 and response.json() == {"identifier": "alice/net", "public": False}
    assert names() == ["zoo-net"] and "alice/net" not in client.get("/").text  # the anonymous caches follow
    assert [m["identifier"] for m in client.get("/api/leaderboard", headers=h).json()["models"]] == ["alice/net", "zoo-net"]
    with app.state.sessions() as session:  # a later re-run of its submission keeps the choice
        assert session.scalar(select(Submission)).public is False
    zoo = client.patch("/api/models/zoo-net", json={"public": False}, headers=h)
    assert zoo.status_code == 403 and "zoo results are always public" in zoo.json()["detail"]
    assert client.patch("/api/models/nope", json={"public": False}, headers=h).status_code == 404
    # the page form: same-origin and CSRF checks, like every form
    client.post("/login", data={"token": tokens["alice"], "next": "/"}, headers=ORIGIN)
    page = client.get("/models/alice/net").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "public": "true", "next": "/models/alice/net"}
    assert client.post("/models/alice/net/visibility", data=form, headers={"Origin": "https://evil.example"},
                       follow_redirects=False).status_code == 403
    assert client.post("/models/alice/net/visibility", data={**form, "csrf_token": "stale"}, headers=ORIGIN,
                       follow_redirects=False).status_code == 403
    ok = client.post("/models/alice/net/visibility", data=form, headers=ORIGIN, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/models/alice/net"
    assert names() == ["alice/net", "zoo-net"]


@pytest.mark.parametrize("log, reason", [
    ("start\nscoring failed: boom\nsandbox cleaned up", "scoring failed: boom"),
    ("worker error: KilledWorker: too many deaths", "worker error: KilledWorker: too many deaths"),
    ("", "no log was recorded"),
    ("only this line", "only this line"),
])
def test_failure_reason_is_the_line_that_says_why(log, reason):
    assert failure_reason(log) == reason


def test_the_rerun_form_needs_a_session_this_site_and_the_csrf_token(sqlite_url, tokens):
    app = web.create_app(sqlite_url, default_benchmarks=["B1"])
    with app.state.sessions.begin() as session:
        alice = session.scalar(select(User).where(User.name == "alice"))
        sub = Submission(user=alice, kind="zoo", model_identifier="resnet18", benchmarks=["B1"], status="failed", log="")
        session.add(sub)
        session.add(Job(submission=sub, benchmark="B1", status="failed", attempts=3, log="failed: time limit"))
    client = TestClient(app, base_url="https://testserver")
    path = "/submissions/1/jobs/1/rerun"
    assert client.post(path, data={"csrf_token": "x"}, headers=ORIGIN).status_code == 401
    client.post("/login", data={"token": tokens["alice"], "next": "/"}, headers=ORIGIN)
    page = client.get("/submissions")
    assert page.status_code == 200 and "failed: time limit" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(path, data={"csrf_token": csrf}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(path, data={"csrf_token": "stale"}, headers=ORIGIN).status_code == 403
    with app.state.sessions() as session:
        assert session.get(Job, 1).status == "failed"
    done = client.post(path, data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/submissions#submission-1"
    with app.state.sessions() as session:
        job = session.get(Job, 1)
        assert (job.status, job.attempts) == ("queued", 0) and session.get(Submission, 1).status == "queued"
    bob = TestClient(app, base_url="https://testserver")
    bob.post("/login", data={"token": tokens["bob"], "next": "/"}, headers=ORIGIN)
    bob_csrf = bob.get("/submissions").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert bob.post(path, data={"csrf_token": bob_csrf}, headers=ORIGIN).status_code == 404  # not his
