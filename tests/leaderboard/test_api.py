"""The JSON API and pages through FastAPI's TestClient: auth, privacy, uploads, the job pipeline, runaway code."""
from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from brainmark.compute import SerialExecutor
from brainmark.leaderboard import uploads, web
from brainmark.leaderboard.db import ScoreRow
from brainmark.leaderboard.sandbox import Limits
from brainmark.leaderboard.store import add_user, import_record
from brainmark.scores import Score
from brainmark.scoring.results import BenchmarkResult, ResultsRecord

BENCHMARKS = ["Coggan2024.IT-rsa", "Coggan2024.V4-rsa"]


def package_zip(identifier: str, body: str, public: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"identifier": identifier, "factory": "model.py:build", "public": public}))
        zf.writestr("model.py", body)
    return buf.getvalue()


def recording_runner(calls: list):  # noqa: ANN201
    """A job runner returning a real results record; its very first call dies like a lost worker."""

    def run(spec: dict) -> dict:
        calls.append(spec)
        if len(calls) == 1:
            raise RuntimeError("worker lost")
        raw = 0.1 * (BENCHMARKS.index(spec["benchmark"]) + 1)
        score = Score(raw=raw, error=0.01, meta={"kind": "neural", "region": "IT",
                                                "layer_scores": {"a": raw / 2, "b": raw}}).with_ceiling(0.5)
        record = ResultsRecord(model={"identifier": spec["model_identifier"]},
                               scores=[BenchmarkResult(spec["benchmark"], 1, score, layer="b", seconds=0.1)])
        return {"ok": True, "record": record.to_dict(), "log": "scored"}

    return run


@pytest.fixture
def users(sqlite_url):
    app = web.create_app(sqlite_url)
    with app.state.sessions.begin() as session:
        tokens = {name: add_user(session, name) for name in ("alice", "bob")}
    app.state.engine.dispose()
    return tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ORIGIN = {"Origin": "https://testserver"}


def browser(app) -> TestClient:  # noqa: ANN001
    """A TestClient on https (so the Secure session cookie is kept, as a browser would)."""
    return TestClient(app, base_url="https://testserver")


def sign_in(client: TestClient, token: str) -> None:
    response = client.post("/login", data={"token": token, "next": "/"}, headers=ORIGIN, follow_redirects=False)
    assert response.status_code == 303, response.text


def wait_for(client: TestClient, submission_id: int, token: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sub = client.get(f"/api/submissions/{submission_id}", headers=auth(token)).json()
        if sub["status"] in ("done", "failed"):
            return sub
        time.sleep(0.2)
    raise AssertionError(f"submission {submission_id} did not finish: {sub}")


def test_requests_without_a_valid_token_get_401(sqlite_url, users):
    client = browser(web.create_app(sqlite_url, default_benchmarks=BENCHMARKS))
    for method, path, kwargs in [
        ("post", "/api/submissions", {"json": {"model_identifier": "alexnet"}}),
        ("post", "/api/submissions/upload", {"files": {"package": ("p.zip", package_zip("x", "def build(): pass"))}}),
        ("get", "/api/submissions", {}),
        ("get", "/api/submissions/1", {}),
        ("get", "/api/me", {}),
    ]:
        assert getattr(client, method)(path, **kwargs).status_code == 401
        assert getattr(client, method)(path, headers=auth("not-a-token"), **kwargs).status_code == 401
    assert client.get("/api/me", headers=auth(users["alice"])).json() == {"name": "alice"}
    assert client.post("/submit", data={"model_identifier": "alexnet"}, headers=ORIGIN).status_code == 401
    # the raw API token in a cookie (the old fallback) is accepted neither by the API nor by the pages
    client.cookies.set("brainmark_token", users["alice"])
    client.cookies.set("brainmark_session", users["alice"])
    assert client.get("/api/me").status_code == 401
    assert client.post("/submit", data={"model_identifier": "alexnet"}, headers=ORIGIN).status_code == 401


def test_private_models_are_hidden_from_other_users(sqlite_url, users, make_record):
    app = web.create_app(sqlite_url, default_benchmarks=BENCHMARKS)
    with app.state.sessions.begin() as session:
        from brainmark.leaderboard.store import authenticate

        import_record(session, make_record("secret-net", {"B": 0.5}), owner=authenticate(session, users["alice"]), public=False)
        import_record(session, make_record("open-net", {"B": 0.4}))
    for who in (None, "bob"):
        client = browser(app)
        headers = auth(users[who]) if who else {}
        if who:
            sign_in(client, users[who])
        for path in ("/api/models/secret-net", "/models/secret-net", "/models/secret-net.json"):
            assert client.get(path, headers=headers).status_code == 404
        assert [m["identifier"] for m in client.get("/api/leaderboard", headers=headers).json()["models"]] == ["open-net"]
        assert "secret-net" not in client.get("/", headers=headers).text
    client = browser(app)
    alice = auth(users["alice"])
    assert client.get("/api/models/secret-net", headers=alice).json()["public"] is False
    assert client.get("/models/secret-net", headers=alice).status_code == 404  # pages ignore bearer tokens
    sign_in(client, users["alice"])
    assert client.get("/models/secret-net").status_code == 200
    assert client.get("/api/models/secret-net").status_code == 404  # ... and the API ignores the session cookie
    assert client.get("/api/leaderboard", headers=alice).json()["count"] == 2


def test_bad_uploads_are_rejected_by_the_api(sqlite_url, users, monkeypatch):
    client = TestClient(web.create_app(sqlite_url, default_benchmarks=BENCHMARKS))
    h = auth(users["alice"])

    def upload(data: bytes):  # noqa: ANN202
        return client.post("/api/submissions/upload", files={"package": ("p.zip", data)}, headers=h)

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"identifier": "evil", "factory": "model.py:build"}))
        zf.writestr("model.py", "def build(): pass")
        zf.writestr("../../escape.py", "boom")
    response = upload(buf.getvalue())
    assert response.status_code == 400 and "zip-slip" in response.json()["detail"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"identifier": "evil", "factory": "model.py:build"}))
        zf.writestr("model.py", "def build(): pass")
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/shadow")
    response = upload(buf.getvalue())
    assert response.status_code == 400 and "symbolic link" in response.json()["detail"]
    monkeypatch.setattr(uploads, "MAX_BYTES", 2048)
    response = upload(package_zip("big", "x = 1\n" + "#" * 10_000))
    assert response.status_code == 413
    assert client.get("/api/submissions", headers=h).json() == []  # nothing was queued


def test_zoo_submission_is_scored_and_ranked(sqlite_url, users):
    calls: list = []
    app = web.create_app(sqlite_url, SerialExecutor(), default_benchmarks=BENCHMARKS, runner=recording_runner(calls))
    with TestClient(app) as client:
        h = auth(users["bob"])
        response = client.post("/api/submissions", json={"model_identifier": "resnet18"}, headers=h)
        assert response.status_code == 201, response.text
        sub = wait_for(client, response.json()["id"], users["bob"])
        assert sub["status"] == "done", sub["log"]
        assert sorted(j["benchmark"] for j in sub["jobs"]) == BENCHMARKS
        assert max(j["attempts"] for j in sub["jobs"]) == 2  # the job whose worker died was retried
        board = client.get("/api/leaderboard").json()
        assert board["models"][0]["identifier"] == "resnet18"
        assert board["models"][0]["composite"] == pytest.approx((0.2 + 0.4) / 2)
        assert client.get(f"/api/submissions/{sub['id']}", headers=auth(users["alice"])).status_code == 404
        bad = client.post("/api/submissions", json={"model_identifier": "x", "benchmarks": ["Nope"]}, headers=h)
        assert bad.status_code == 400 and "unknown benchmarks" in bad.json()["detail"]
    with app.state.sessions() as session:
        assert len(session.scalars(select(ScoreRow)).all()) == 2  # retried job stored exactly once


@pytest.mark.slow
@pytest.mark.parametrize(
    "body, expected",
    [
        ("def build():\n    while True:\n        pass\n", "time limit"),
        ("def build():\n    x = []\n    while True:\n        x.append(b'x' * (100 * 2**20))\n", "memory limit"),
    ],
    ids=["infinite-loop", "unbounded-allocation"],
)
def test_runaway_uploads_are_stopped_and_reported(sqlite_url, users, body, expected):
    limits = Limits(seconds=8 if expected == "time limit" else 120, memory_bytes=2 * 2**30)
    app = web.create_app(sqlite_url, SerialExecutor(), limits=limits, default_benchmarks=BENCHMARKS[:1])
    import threading

    with TestClient(app) as client:
        h = auth(users["alice"])
        response = client.post("/api/submissions/upload", files={"package": ("p.zip", package_zip("runaway", body))},
                               headers=h)
        assert response.status_code == 201, response.text
        done = threading.Event()
        result: dict = {}

        def poll() -> None:
            result.update(wait_for(client, response.json()["id"], users["alice"], timeout=90))
            done.set()

        threading.Thread(target=poll, daemon=True).start()
        while not done.wait(0.5):  # the server keeps answering while the runaway job runs
            assert client.get("/healthz").status_code == 200
        assert result["status"] == "failed"
        assert expected in result["log"] and "stopped" in result["log"]
        assert client.get("/").status_code == 200
        assert client.get("/api/leaderboard").json()["count"] == 0


def test_the_cached_board_follows_every_import_and_each_viewers_visibility(sqlite_url, users, make_record):
    from brainmark.leaderboard.store import authenticate

    app = web.create_app(sqlite_url)
    client = browser(app)

    def board(headers=None) -> dict:  # noqa: ANN001
        return {m["identifier"]: m["scores"]["B"]["ceiled"] for m in
                client.get("/api/leaderboard", headers=headers or {}).json()["models"]}

    with app.state.sessions.begin() as session:
        import_record(session, make_record("one", {"B": 0.4}))
    assert board() == {"one": pytest.approx(0.5)}
    assert "one" in client.get("/").text
    with app.state.sessions.begin() as session:
        import_record(session, make_record("two", {"B": 0.6}))
        import_record(session, make_record("mine", {"B": 0.7}), owner=authenticate(session, users["alice"]),
                      public=False)
    assert board() == {"one": pytest.approx(0.5), "two": pytest.approx(0.75)}
    assert "two" in client.get("/").text and "mine" not in client.get("/").text
    assert set(board(auth(users["alice"]))) == {"one", "two", "mine"}
    assert set(board(auth(users["bob"]))) == {"one", "two"}
    with app.state.sessions.begin() as session:  # a re-import replaces a score: the board shows the new value
        import_record(session, make_record("one", {"B": 0.2}))
    assert board()["one"] == pytest.approx(0.25)
    assert list(board()) == ["two", "one"]


def test_only_anonymous_board_responses_are_compressed(sqlite_url, users, make_record):
    app = web.create_app(sqlite_url)
    with app.state.sessions.begin() as session:
        import_record(session, make_record("one", {"B": 0.4}))
    client = browser(app)
    for path in ("/", "/api/leaderboard"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip" and "one" in response.text
        assert "content-encoding" not in client.get(path, headers={"Accept-Encoding": "identity"}).headers
    sign_in(client, users["alice"])  # a page with a CSRF token in it is never compressed (BREACH)
    assert "content-encoding" not in client.get("/", headers={"Accept-Encoding": "gzip"}).headers
    assert "content-encoding" not in client.get("/api/leaderboard", headers={
        "Accept-Encoding": "gzip", **auth(users["alice"])}).headers
