"""Crafted requests: oversized and unauthenticated bodies, brute force, rate limits and queue caps, CSRF and
cross-site posts, the session cookie, security headers, local API docs, visibility rules, namespacing, duplicate
submissions, malformed archives (always 400, never 500) and servers that cannot sandbox."""
from __future__ import annotations

import io
import json
import socket
import time
import zipfile

import psutil
import pytest
from fastapi.testclient import TestClient

from brainmark.leaderboard import web
from brainmark.leaderboard.config import ServerConfig
from brainmark.leaderboard.store import add_user

BENCHMARKS = ["Coggan2024.IT-rsa"]
ORIGIN = {"Origin": "https://testserver"}


def app_with_users(url: str, **config: object):  # noqa: ANN201
    app = web.create_app(url, default_benchmarks=BENCHMARKS, config=ServerConfig(**config))
    with app.state.sessions.begin() as session:
        tokens = {name: add_user(session, name) for name in ("alice", "bob")}
    return app, tokens


def client_for(app) -> TestClient:  # noqa: ANN001
    return TestClient(app, base_url="https://testserver")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload(client: TestClient, token: str, data: bytes, **form: str):  # noqa: ANN201
    return client.post("/api/submissions/upload", files={"package": ("p.zip", data)}, data=form, headers=bearer(token))


def sign_in(client: TestClient, token: str) -> str:
    """Sign in through the form; returns the session's CSRF token (read from the submit page)."""
    response = client.post("/login", data={"token": token}, headers=ORIGIN, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/submit").text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_oversized_and_unauthenticated_bodies_are_refused_before_reading(live_server, sqlite_url):
    base = live_server(sqlite_url)
    host, port = base.removeprefix("http://").split(":")
    server = next(p for p in psutil.process_iter(["cmdline"])
                  if p.info["cmdline"] and f"--port {port}" in " ".join(p.info["cmdline"]))
    before = server.memory_info().rss
    for path, headers in (("/api/submissions/upload", b""), ("/api/submissions", b""), ("/login", b"")):
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                      b"boundary=b\r\nContent-Length: 209715200\r\n" + headers + b"\r\n" + b"x" * 1000)
            start = time.monotonic()
            reply = s.recv(4096)
            assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
            assert time.monotonic() - start < 5  # answered without waiting for 200 MiB
    with socket.create_connection((host, int(port)), timeout=10) as s:  # no length, unauthenticated: 401 at once
        s.sendall(b"POST /api/submissions/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                  b"boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n" + b"4000\r\n" + b"x" * 0x4000 + b"\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 401")
    assert server.memory_info().rss - before < 50 * 2**20
    assert __import__("httpx").get(f"{base}/healthz").status_code == 200


def test_a_chunked_body_past_the_cap_is_cut_off(sqlite_url):
    app, tokens = app_with_users(sqlite_url, max_upload_bytes=100_000)
    client = client_for(app)

    def chunks():  # noqa: ANN202
        yield b"--b\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p.zip\"\r\n\r\n"
        for _ in range(50):
            yield b"x" * 10_000

    response = client.post("/api/submissions/upload", content=chunks(),
                           headers={**bearer(tokens["alice"]), "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413


def test_brute_force_is_rate_limited_per_address(sqlite_url):
    app, tokens = app_with_users(sqlite_url, auth_failures="5/minute")
    client = client_for(app)
    codes = [client.get("/api/me", headers=bearer(f"guess-{i}")).status_code for i in range(8)]
    assert codes == [401] * 5 + [429] * 3
    refused = client.get("/api/me", headers=bearer(tokens["alice"]))  # even the right token, until the window ends
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    login = client.post("/login", data={"token": tokens["alice"]}, headers=ORIGIN)
    assert login.status_code == 429 and "too many failed authentications" in login.text


def test_submissions_are_rate_limited_and_the_queue_is_capped(sqlite_url, make_package):
    app, tokens = app_with_users(sqlite_url, max_active_jobs=2)
    client = client_for(app)
    responses = [upload(client, tokens["alice"], make_package(f"n{i}")) for i in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 429]  # the third would be a third queued job
    assert "queued or running" in responses[2].json()["detail"]
    app2, tokens2 = app_with_users(sqlite_url.replace(".sqlite", "-2.sqlite"), submissions_per_user="2/hour")
    client2 = client_for(app2)
    codes = [upload(client2, tokens2["bob"], make_package(f"m{i}")).status_code for i in range(3)]
    assert codes == [201, 201, 429]


def test_form_posts_need_this_sites_origin_and_the_sessions_csrf_token(sqlite_url):
    app, tokens = app_with_users(sqlite_url)
    client = client_for(app)
    assert client.post("/login", data={"token": tokens["alice"]}, headers={"Origin": "https://evil.example"},
                       follow_redirects=False).status_code == 403
    csrf = sign_in(client, tokens["alice"])
    form = {"model_identifier": "resnet18", "csrf_token": csrf}
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {}):
        assert client.post("/submit", data=form, headers=headers, follow_redirects=False).status_code == 403
    wrong = client.post("/submit", data={**form, "csrf_token": "guess"}, headers=ORIGIN, follow_redirects=False)
    assert wrong.status_code == 403 and "CSRF" in wrong.text
    ok = client.post("/submit", data=form, headers=ORIGIN, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/submissions/1"
    assert client.post("/logout", data={"csrf_token": "guess"}, headers=ORIGIN).status_code == 403


def test_the_session_cookie_is_separate_from_the_api_token(sqlite_url):
    app, tokens = app_with_users(sqlite_url)
    client = client_for(app)
    response = client.post("/login", data={"token": tokens["alice"]}, headers=ORIGIN, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    for flag in ("Secure", "HttpOnly", "SameSite=lax", "Max-Age=43200", "Path=/"):
        assert flag in cookie, cookie
    session_id = client.cookies["brainmark_session"]
    assert session_id != tokens["alice"] and tokens["alice"] not in cookie
    assert "signed in as alice" in client.get("/").text
    assert client.get("/api/me").status_code == 401  # the API ignores the cookie
    assert client.get("/api/me", headers=bearer(session_id)).status_code == 401  # a session id is no API token
    fresh = client_for(app)
    assert fresh.get("/submit", headers=bearer(tokens["alice"]), follow_redirects=False).status_code == 303  # to /login
    csrf = client.get("/submit").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/logout", data={"csrf_token": csrf}, headers=ORIGIN)
    assert "signed in as" not in client.get("/").text
    stale = client_for(app)
    stale.cookies.set("brainmark_session", session_id)
    assert "signed in as" not in stale.get("/").text  # the ended session is gone on the server too


def test_security_headers_and_api_docs_without_a_cdn(sqlite_url):
    client = client_for(web.create_app(sqlite_url))
    for path in ("/", "/docs", "/redoc", "/api/leaderboard", "/healthz", "/nope"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp.split(
            "script-src")[1].split(";")[0]
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "http://" not in html and "https://" not in html and "<script>" not in html
        for src in [part.split('"')[0] for part in html.split('src="')[1:]] + [
                part.split('"')[0] for part in html.split('href="')[1:]]:
            assert src.startswith("/static/") and client.get(src).status_code == 200, src
    assert "/api/submissions/upload" in client.get("/openapi.json").json()["paths"]


def test_visibility_is_a_boolean_private_by_default_and_never_silently_overridden(sqlite_url, make_package):
    app, tokens = app_with_users(sqlite_url)
    client = client_for(app)
    alice = tokens["alice"]
    response = upload(client, alice, make_package("s", public="false"))
    assert response.status_code == 400 and "JSON boolean" in response.json()["detail"]
    response = upload(client, alice, make_package("d", public=False), public="true")
    assert response.status_code == 400 and "make them agree" in response.json()["detail"]
    assert upload(client, alice, make_package("default")).json()["public"] is False
    assert upload(client, alice, make_package("open"), public="true").json()["public"] is True
    assert upload(client, alice, make_package("meta", public=True)).json()["public"] is True
    assert upload(client, alice, make_package("x"), public="maybe").status_code == 400


def test_identifiers_are_namespaced_and_a_second_active_submission_is_refused(sqlite_url, make_package):
    app, tokens = app_with_users(sqlite_url)
    client = client_for(app)
    first = upload(client, tokens["alice"], make_package("net"))
    assert first.status_code == 201 and first.json()["model_identifier"] == "alice/net"
    bob = upload(client, tokens["bob"], make_package("net"))  # no 409, nothing learned about alice's model
    assert bob.status_code == 201 and bob.json()["model_identifier"] == "bob/net"
    again = upload(client, tokens["alice"], make_package("net"))
    assert again.status_code == 409 and f"submission {first.json()['id']}" in again.json()["detail"]
    assert client.get("/api/models/alice/net", headers=bearer(tokens["bob"])).status_code == 404


def zip_with(**members: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_malformed_archives_are_400_never_500(sqlite_url, make_package):
    import struct

    app, tokens = app_with_users(sqlite_url)
    client = client_for(app)
    good = make_package("net")
    bomb_zip = io.BytesIO()
    with zipfile.ZipFile(bomb_zip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", b" " * (30 * 2**20) + json.dumps({"identifier": "b", "factory": "m.py:f"}).encode())
        zf.writestr("m.py", "x")
    bomb = bytearray(bomb_zip.getvalue())
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # the first member's header now claims 1000 bytes
        struct.pack_into("<I", bomb, bomb.find(sig) + at, 1000)
    encrypted = bytearray(good)
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        struct.pack_into("<H", encrypted, encrypted.find(sig) + at, 0x1)
    bzip = io.BytesIO()
    with zipfile.ZipFile(bzip, "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr("metadata.json", json.dumps({"identifier": "z", "factory": "m.py:f"}))
        zf.writestr("m.py", "x")
    cases = {"bomb": bytes(bomb), "encrypted": bytes(encrypted), "bzip2": bzip.getvalue(),
             "truncated": good[: len(good) // 2], "not-a-zip": b"MZ\x90 nope", "empty": b"",
             "no-metadata": zip_with(**{"m.py": b"x"}), "metadata-list": zip_with(**{"metadata.json": b"[1]"})}
    for name, data in cases.items():
        response = upload(client, tokens["alice"], data)
        assert response.status_code == 400, (name, response.status_code, response.text)
        assert response.json()["detail"].startswith("upload rejected"), (name, response.text)
    assert client.get("/api/submissions", headers=bearer(tokens["alice"])).json() == []
    assert client.get("/healthz").status_code == 200


def test_uploads_are_refused_where_the_workers_cannot_sandbox(sqlite_url, make_package):
    app, tokens = app_with_users(sqlite_url)
    app.state.sandbox_reason = lambda: "bwrap is not installed"
    response = upload(client_for(app), tokens["alice"], make_package("net"))
    assert response.status_code == 503 and "bwrap is not installed" in response.json()["detail"]
    assert "--allow-unsandboxed-uploads" in response.json()["detail"]
    app, tokens = app_with_users(sqlite_url.replace(".sqlite", "-2.sqlite"), allow_unsandboxed=True)
    app.state.sandbox_reason = lambda: "bwrap is not installed"
    assert upload(client_for(app), tokens["alice"], make_package("net")).status_code == 201


def test_concurrent_submissions_of_one_identifier_have_one_winner(database_url, make_package):
    """Two uploads of alice/net at the same moment (threads, real database): one is queued, the other gets 409."""
    import threading

    app, tokens = app_with_users(database_url)
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def submit() -> None:
        client = client_for(app)
        barrier.wait()
        codes.append(upload(client, tokens["alice"], make_package("net")).status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [201, 409, 409, 409]
    with app.state.sessions() as session:
        from brainmark.leaderboard.db import Job, Submission

        assert session.query(Submission).count() == 1 and session.query(Job).count() == len(BENCHMARKS)
    app.state.engine.dispose()
