"""Fixtures for the data-layer tests: a real HTTP server on 127.0.0.1 whose routes misbehave on purpose."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server:
    """Serves ``routes[path] = (behaviour, body)``; records every request's path and Range header.

    Behaviours: ``ok`` (honours Range), ``norange`` (ignores Range), ``truncate`` (announces the full length,
    sends half, closes), ``truncate_once`` (first request truncated, later ones behave like ``ok``), ``404``,
    ``500``, ``500_once``, ``slow`` (ok, after a pause).
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append((h.path, h.headers.get("Range")))
            n = self.count(h.path)
        behaviour, body = self.routes.get(h.path, ("404", b""))
        if behaviour == "truncate_once":
            behaviour = "truncate" if n == 1 else "ok"
        if behaviour == "500_once":
            behaviour = "500" if n == 1 else "ok"
        if behaviour == "slow":
            time.sleep(0.5)
            behaviour = "ok"
        if behaviour in ("404", "500"):
            h.send_response(int(behaviour))
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        start = 0
        rng = h.headers.get("Range")
        if behaviour == "ok" and rng and rng.startswith("bytes="):
            start = int(rng[len("bytes="):].split("-")[0])
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            h.send_response(200)
        payload = body[start:]
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if behaviour == "truncate":
            h.wfile.write(payload[: len(payload) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(payload)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


import pytest  # noqa: E402


@pytest.fixture
def http_server():
    """A misbehaving-on-purpose HTTP server on 127.0.0.1 (see :class:`Server`)."""
    server = Server()
    yield server
    server.close()
