"""Browser tests (Playwright + Debian Chromium): the leaderboard sorts and filters, a model page shows its scores
and plots, and a model package submitted through the page is scored (Dask + sandbox) and lands on the board."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from brainmark.leaderboard.db import open_database
from brainmark.leaderboard.store import add_user, import_record

pytestmark = pytest.mark.browser


def seed(url: str, make_record) -> str:  # noqa: ANN001
    engine, sessions = open_database(url)
    with sessions.begin() as session:
        token = add_user(session, "tester")
        import_record(session, make_record("alpha-net", {"Coggan2024.IT-rsa": 0.30, "Cowley2023.V4-pls": 0.50}, top1=0.55))
        import_record(session, make_record("beta-net", {"Coggan2024.IT-rsa": 0.60, "Cowley2023.V4-pls": 0.10}, top1=0.70))
        import_record(session, make_record("gamma-net", {"Coggan2024.IT-rsa": 0.45, "Cowley2023.V4-pls": 0.40}, top1=0.76))
    engine.dispose()
    return token


def column(page: Page, index: int) -> list[str]:
    return page.locator(f"#leaderboard tbody tr td:nth-child({index})").all_inner_texts()


def test_leaderboard_renders_sorts_and_filters(page: Page, live_server, sqlite_url, make_record):
    seed(sqlite_url, make_record)
    page.goto(live_server(sqlite_url))
    expect(page.locator("#model-count")).to_have_text("3")
    # ranked by composite (mean ceiled): gamma (0.53), alpha (0.50), beta (0.44); ceilings in the header
    assert [m.strip() for m in column(page, 2)] == ["gamma-net", "alpha-net", "beta-net"]
    expect(page.locator("#leaderboard thead")).to_contain_text("ceiling 0.800")
    assert page.locator("#figure1 svg").count() == 1
    cells = page.locator("#leaderboard tbody tr td.composite")  # colour scale: CSS classes, no inline styles
    colours = [c.evaluate("e => getComputedStyle(e).backgroundColor") for c in cells.all()]
    assert cells.first.get_attribute("style") is None and "heat-10" in cells.first.get_attribute("class")
    assert len(set(colours)) == 3 and "rgba(0, 0, 0, 0)" not in colours  # best green, worst red
    page.locator("#leaderboard thead th", has_text="Coggan2024.IT-rsa").locator(".ceiling").click()
    assert [m.strip() for m in column(page, 2)] == ["beta-net", "gamma-net", "alpha-net"]  # descending
    page.locator("#leaderboard thead th", has_text="Coggan2024.IT-rsa").locator(".ceiling").click()
    assert [m.strip() for m in column(page, 2)] == ["alpha-net", "gamma-net", "beta-net"]  # ascending
    page.locator("#leaderboard thead th").nth(1).click()
    assert [m.strip() for m in column(page, 2)] == ["gamma-net", "beta-net", "alpha-net"]
    page.fill("#filter", "ta-n")
    expect(page.locator("#model-count")).to_have_text("1")
    expect(page.locator("#leaderboard tbody tr:visible")).to_have_count(1)


def test_model_page_shows_scores_errors_ceilings_and_plots(page: Page, live_server, sqlite_url, make_record):
    seed(sqlite_url, make_record)
    base = live_server(sqlite_url)
    page.goto(base)
    page.click("text=beta-net")
    expect(page.locator("h1")).to_have_text("beta-net")
    rows = page.locator("#scores tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Coggan2024.IT-rsa")
    expect(rows.first).to_contain_text("0.750")  # ceiled = 0.6 / 0.8
    expect(rows.first).to_contain_text("0.010")  # raw error
    expect(rows.first).to_contain_text("0.800")  # ceiling
    expect(rows.first).to_contain_text("layer2")  # committed layer
    assert page.locator("#score-plot svg").count() == 1
    assert page.locator("figure.layer-curve svg").count() == 2  # per-layer curves from the commitment
    expect(page.locator("#environment")).to_contain_text("python")
    with page.expect_download() as download:
        page.click("text=Download results JSON")
    record = json.loads(Path(download.value.path()).read_text())
    assert record["schema"] == "brainmark.results/1" and record["model"]["identifier"] == "beta-net"
    page.click("text=Coggan2024.IT-rsa")
    expect(page.locator("#ceiling")).to_contain_text("0.800")
    assert page.locator("figure svg").count() == 1


TINY_MODEL = '''
import torch
from torch import nn
from brainmark.models import ModelSpec, Preprocessing

def build():
    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(3, 8, 5, stride=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()).eval()
    return ModelSpec(net, layers=["1", "2"], preprocessing=Preprocessing(input_size=48))
'''


@pytest.mark.slow
def test_submission_through_the_page_reaches_the_leaderboard(page: Page, live_server, sqlite_url, make_record,
                                                             tmp_path, shared_data):
    token = seed(sqlite_url, make_record)
    package = tmp_path / "upload.zip"
    with zipfile.ZipFile(package, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"identifier": "uploaded-tiny", "factory": "model.py:build"}))
        zf.writestr("model.py", TINY_MODEL)
    base = live_server(sqlite_url, executor="dask", BRAINMARK_LEADERBOARD_WORKERS="1",
                       BRAINMARK_LEADERBOARD_BENCHMARKS="Coggan2024.IT-rsa", BRAINMARK_LEADERBOARD_TIME_LIMIT="400")
    page.goto(f"{base}/submit")
    expect(page).to_have_url(f"{base}/login?next=/submit")
    page.fill("#token", token)
    page.click("#login-button")
    expect(page).to_have_url(f"{base}/submit")
    page.set_input_files("#package", str(package))
    page.check("#public")
    page.click("#submit-button")
    expect(page).to_have_url(f"{base}/submissions/1")
    expect(page.locator("#status")).to_have_attribute("data-status", "done", timeout=400_000)
    page.click("#results-link")
    expect(page.locator("h1")).to_have_text("tester/uploaded-tiny")
    expect(page.locator("#scores tbody tr")).to_have_count(1)
    expect(page.locator("#scores tbody tr")).to_contain_text("Coggan2024.IT-rsa")
    page.goto(base)
    expect(page.locator("#model-count")).to_have_text("4")
    expect(page.locator("#leaderboard tbody")).to_contain_text("uploaded-tiny")
    expect(page.locator("#log")).to_have_count(0)



def test_session_cookie_and_cross_site_form_posts(page: Page, live_server, sqlite_url, make_record, tmp_path):
    """Signing in sets a Secure, HttpOnly session cookie (not the token); a form on another origin that posts to
    /submit with that cookie attached is refused by the Origin/CSRF check; the page's own form works."""
    import http.server
    import socket
    import threading

    token = seed(sqlite_url, make_record)
    base = live_server(sqlite_url, BRAINMARK_LEADERBOARD_BENCHMARKS="Coggan2024.IT-rsa")
    page.goto(f"{base}/login")
    page.fill("#token", token)
    page.click("#login-button")
    expect(page.locator("header .user")).to_contain_text("signed in as tester")
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "brainmark_session" and cookie["secure"] and cookie["httpOnly"]
    assert cookie["value"] != token and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
    assert page.evaluate("document.cookie") == ""  # invisible to scripts
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "index.html").write_text(
        f'<form id="f" method="post" action="{base}/submit"><input name="model_identifier" value="resnet18">'
        '<input name="csrf_token" value="guess"></form><button id="go" onclick="f.submit()">win a prize</button>')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(evil))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{port}/index.html")
        with page.expect_response(f"{base}/submit") as response:
            page.click("#go")
        assert response.value.status == 403  # same site (ports differ), so the cookie went along: Origin stops it
    finally:
        server.shutdown()
    page.goto(f"{base}/submit")
    page.fill("#model_identifier", "resnet18")
    page.click("#submit-button")
    expect(page.locator("#status")).to_be_visible()  # the site's own form, with its CSRF token, is accepted
