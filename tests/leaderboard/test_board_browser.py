"""The board's tools driven through Chromium as a new visitor would, at 1280x800, with a screenshot of each page
under .pytest_cache/screenshots/: column groups that fit the width, intervals, the tied group, benchmarks and
weights in the URL, filters, exports, the compare page, benchmark correlations, the model page."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from sqlalchemy import select

from brainmark.leaderboard.db import Benchmark, open_database
from brainmark.leaderboard.store import import_record

pytestmark = pytest.mark.browser

BENCHMARKS = ["Coggan2024.V1-rsa", "Coggan2024.V2-rsa", "Coggan2024.V4-rsa", "Cowley2023.V4-pls", "Coggan2024.IT-rsa",
              "Kriegeskorte2008.humanIT-rsa", "Kriegeskorte2008.monkeyIT-rsa", "Geirhos2021edge-error_consistency",
              "Geirhos2021silhouette-error_consistency", "Geirhos2021edge-accuracy", "Geirhos2021silhouette-accuracy"]
MODELS = {  # name: (score on every benchmark, overrides, record options)
    "top-a": (0.60, {}, {"family": "efficientnet-lite", "parameters": 4_652_008}),
    "top-b": (0.595, {}, {"family": "efficientnet-lite", "parameters": 5_416_680}),
    "middle": (0.45, {}, {"family": "resnet", "parameters": 11_689_512}),
    "v4-star": (0.30, {"Cowley2023.V4-pls": 0.98}, {"family": "cornet", "parameters": None}),
    "random-net": (0.15, {}, {"family": "resnet", "untrained": True, "parameters": 11_689_512}),
}


@pytest.fixture(scope="module")
def board(module_server, tmp_path_factory, make_board_record) -> str:  # noqa: ANN001
    url = f"sqlite:///{tmp_path_factory.mktemp('board') / 'board.sqlite'}"
    engine, sessions = open_database(url)
    with sessions.begin() as session:
        for name, (base, overrides, options) in MODELS.items():
            import_record(session, make_board_record(name, {b: overrides.get(b, base) for b in BENCHMARKS},
                                                     spread=0.02, **options))
        for b in session.scalars(select(Benchmark)):
            b.bibtex = f"@article{{{b.identifier.split('.')[0].split('-')[0].lower()}, title={{{b.identifier}}}}}"
    engine.dispose()
    return module_server(url)


def models(page: Page) -> list[str]:
    return [m.strip() for m in page.locator("#leaderboard tbody tr td.model a").all_inner_texts()]


def fits(page: Page) -> None:
    """Nothing on the page is wider than the 1280-px window: no sideways scrolling, the whole table visible."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    box = page.locator("#leaderboard").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, box
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table scrolls inside its box"


def test_board_groups_fit_1280_with_intervals_and_the_tied_group(page: Page, board: str, screenshot):
    page.goto(board)
    expect(page.locator("#model-count")).to_have_text("5")
    assert models(page) == ["top-a", "top-b", "middle", "v4-star", "random-net"]
    fits(page)
    screenshot(page, "board-default")
    # 11 benchmarks: the groups start collapsed; each shows its aggregate with an interval
    expect(page.locator("#leaderboard th.bench").first).to_be_hidden()
    heads = page.locator("#leaderboard th.group-head a.toggle").all_inner_texts()
    assert [h.split()[0] for h in heads] == ["V1", "V2", "V4", "IT", "Behaviour"]
    it = page.locator("#leaderboard th.group-head", has_text="IT").locator("a.toggle")
    it.click()
    expect(page.locator("#leaderboard thead th", has_text="Coggan2024.IT-rsa")).to_be_visible()
    expect(page.locator("#leaderboard thead th", has_text="Coggan2024.V1-rsa")).to_be_hidden()
    assert parse_qs(urlsplit(page.url).query)["open"] == ["IT"]  # shareable: the URL keeps what is open
    fits(page)
    for toggle in page.locator("#leaderboard a.toggle").all():
        if toggle.get_attribute("aria-expanded") == "false":
            toggle.click()
    expect(page.locator("#leaderboard th.bench:visible")).to_have_count(11)
    fits(page)
    screenshot(page, "board-expanded")
    page.reload()  # the open groups come back from the URL
    expect(page.locator("#leaderboard th.bench:visible")).to_have_count(11)
    # intervals: every score cell has a whisker and says its interval on hover
    cell = page.locator("#leaderboard tbody tr[data-model=middle] td.bench").first
    assert "95 % CI [" in cell.get_attribute("title") and cell.locator("svg.whisker line").count() == 4
    composite = page.locator("#leaderboard tbody tr[data-model=top-b] td.composite")
    assert "95 % CI [" in composite.get_attribute("title") and "adjusted p" in composite.get_attribute("title")
    # the two close leaders are tied with the best and shaded; the others are not
    tied = page.locator("#leaderboard tbody tr.tied-best")
    expect(tied).to_have_count(2)
    assert [t.get_attribute("data-model") for t in tied.all()] == ["top-a", "top-b"]
    shade = tied.first.locator("td.model").evaluate("e => getComputedStyle(e).backgroundColor")
    plain = page.locator("tr[data-model=middle] td.model").evaluate("e => getComputedStyle(e).backgroundColor")
    assert shade != plain
    expect(page.locator("#ranking-note")).to_contain_text("Holm-adjusted")
    expect(page.locator("#excluded")).to_contain_text("Kriegeskorte2008.monkeyIT-rsa: no ceiling")
    monkey = page.locator("#leaderboard thead th", has_text="Kriegeskorte2008.monkeyIT-rsa")
    assert "not-counted" in monkey.get_attribute("class") and "no ceiling" in monkey.get_attribute("title")


def test_chosen_benchmarks_and_weights_rerank_and_travel_in_the_url_and_exports(page: Page, board: str, screenshot,
                                                                                 tmp_path: Path):
    page.goto(board)
    page.click("#view-panel summary")
    page.fill("input[name='w.Cowley2023.V4-pls']", "10")
    page.locator("input[name='w.Cowley2023.V4-pls']").dispatch_event("change")
    expect(page.locator("#composite-weighted")).to_be_checked()  # a weight other than 0/1 picks the weighted mean
    page.fill("input[name='w.Kriegeskorte2008.humanIT-rsa']", "0")
    page.click("#apply-view")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"composite": ["weighted"], "w.Cowley2023.V4-pls": ["10"], "w.Kriegeskorte2008.humanIT-rsa": ["0"]}
    assert models(page)[0] == "v4-star"  # (10 x 0.98 + 6 x 0.30) / 16 = 0.725 beats 0.60
    expect(page.locator("#composite-description")).to_contain_text("weighted mean")
    expect(page.locator("#leaderboard thead")).not_to_contain_text("humanIT")  # left out of the view
    expect(page.locator("#view-panel")).to_have_attribute("open", "")
    fits(page)
    screenshot(page, "board-weighted")
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text()
    assert "# weights: " in text and "Cowley2023.V4-pls=10" in text and "w.Cowley2023.V4-pls=10" in text.splitlines()[0]
    rows = list(csv.DictReader(io.StringIO("\n".join(l for l in text.splitlines() if not l.startswith("#")))))
    assert rows[0]["model"] == "v4-star" and "Kriegeskorte2008.humanIT-rsa" not in rows[0]
    with page.expect_download() as download:
        page.click("#export-json")
    data = json.loads(Path(download.value.path()).read_text())
    assert data["view"]["composite"] == "weighted" and data["view"]["weights"]["Cowley2023.V4-pls"] == 10
    with page.expect_download() as download:
        page.click("#export-bib")
    bib = Path(download.value.path()).read_text()
    assert "@article{cowley2023" in bib and "humanIT" not in bib  # the benchmarks in view only
    page.click("#reset-view")
    assert models(page)[0] == "top-a" and urlsplit(page.url).query == ""


def test_filters_on_model_metadata(page: Page, board: str, screenshot):
    page.goto(board)
    page.click("#view-panel summary")
    page.check("#view-form input[name=family][value=resnet]")
    page.click("#apply-view")
    assert models(page) == ["middle", "random-net"]
    expect(page.locator("#view-panel")).to_have_attribute("open", "")  # a customised view keeps the panel open
    page.check("#trained-untrained")
    page.click("#apply-view")
    assert models(page) == ["random-net"]
    expect(page.locator("tr[data-model=random-net] .badge.untrained")).to_be_visible()
    page.goto(board + "/?params_max=6")
    assert models(page) == ["top-a", "top-b"]  # v4-star has no recorded count: a bound leaves it out
    page.goto(board + "/?trained=pretrained")
    assert "random-net" not in models(page)
    expect(page.locator("#leaderboard tbody tr.tied-best")).to_have_count(2)
    screenshot(page, "board-filtered")


def test_compare_two_models(page: Page, board: str, screenshot):
    page.goto(board)
    page.click("#tool-compare")
    expect(page.locator("#model-a")).to_have_value("top-a")  # the two best by default
    expect(page.locator("#model-b")).to_have_value("top-b")
    rows = page.locator("#comparison tbody tr")
    expect(rows).to_have_count(11)
    assert page.locator("#comparison td.significant").count() == 0  # 0.005 apart: no real difference
    page.select_option("#model-b", "middle")
    page.click("#compare-submit")
    expect(page.locator("#compare-summary")).to_contain_text("middle")
    v1 = page.locator("#comparison tr[data-benchmark='Coggan2024.V1-rsa'] td")
    assert v1.nth(4).inner_text() == "+0.150" and "significant" in v1.nth(7).get_attribute("class")
    assert v1.nth(8).inner_text() == "A higher"
    expect(page.locator("#composite-comparison tbody tr")).to_have_count(2)
    expect(page.locator("#compare-summary")).to_contain_text("adjusted across the 13 comparisons")
    screenshot(page, "compare")
    data = page.context.request.get(board + page.locator("#compare-json").get_attribute("href")).json()
    assert {c["benchmark"] for c in data["comparisons"]} >= set(BENCHMARKS)
    assert all(c["p_adjusted"] >= c["p"] for c in data["comparisons"] if c["difference"] is not None)


def test_benchmark_correlations_page(page: Page, board: str, screenshot):
    page.goto(board)
    page.click("#tool-report-correlations")
    expect(page.locator("h1")).to_have_text("Benchmark correlations")
    expect(page.locator("#correlations tbody tr")).to_have_count(11)
    diagonal = page.locator("#correlations td.diagonal")
    expect(diagonal).to_have_count(11)
    assert "split-half reliability" in diagonal.first.get_attribute("title")
    cell = page.locator("#correlations tbody tr").first.locator("td").nth(1)
    assert "Pearson r" in cell.get_attribute("title") and "n = 5 models" in cell.get_attribute("title")
    screenshot(page, "correlations")
    page.goto(board + "/reports/correlations?trained=pretrained")
    assert "n = 4 models" in page.locator("#correlations tbody tr").first.locator("td").nth(1).get_attribute("title")


def test_table1_and_figure1_pages(page: Page, board: str, screenshot):
    page.goto(board)
    page.click("#tool-report-schrimpf2018-table1")
    expect(page.locator("h1")).to_have_text("Table 1 (Schrimpf et al. 2018)")
    expect(page.locator("#table1 tbody tr")).to_have_count(5)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # fits the width
    screenshot(page, "table1")
    page.goto(board)
    page.click("#tool-report-schrimpf2018-figure1")
    image = page.locator("#figure1 img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") > 300  # the PNG decoded
    screenshot(page, "figure1")


def test_model_page_layers_in_network_order_and_its_score_chart(page: Page, board: str, screenshot):
    page.goto(board)
    page.click("text=v4-star")
    expect(page.locator("h1")).to_have_text("v4-star")
    labels = page.locator("figure.layer-curve").first.locator("svg").evaluate(
        "svg => Array.from(svg.querySelectorAll('text[transform^=\"rotate(45\"]')).map(t => t.textContent)")
    assert labels == ["_bn0", "_blocks.0", "_blocks.2", "_blocks.10", "_blocks.14"]  # as the network runs
    chart = page.locator("#score-plot svg")
    expect(chart).to_contain_text("on each of its 11 benchmarks")
    assert "models" not in chart.text_content()
    expect(page.locator("#scores tbody tr", has_text="Kriegeskorte2008.monkeyIT-rsa")).to_contain_text("not in composites")
    expect(page.locator("#scores tbody tr").first.locator("td.interval")).to_contain_text("95 % CI [")
    expect(page.locator("#facets")).to_contain_text("cornet")
    expect(page.locator("#history tbody tr")).to_have_count(11)
    screenshot(page, "model")
    page.select_option("#compare-b", "top-a")
    page.click("#compare-button")
    expect(page.locator("#model-a")).to_have_value("v4-star")
    page.goto(board + "/benchmarks/Kriegeskorte2008.monkeyIT-rsa")
    expect(page.locator("#in-composites")).to_contain_text("no: no ceiling")
    expect(page.locator("#benchmark-scores tbody tr").first).to_contain_text("95 % CI [")
    screenshot(page, "benchmark")


def test_history_and_the_board_as_of_a_date(page: Page, live_server, sqlite_url, make_board_record, screenshot):
    from datetime import datetime

    from brainmark.leaderboard.db import ScoreHistory, ScoreRow

    engine, sessions = open_database(sqlite_url)
    with sessions.begin() as session:
        import_record(session, make_board_record("net", {"Coggan2024.IT-rsa": 0.3}, created="2026-11-01T09:00:00+00:00"))
        import_record(session, make_board_record("other", {"Coggan2024.IT-rsa": 0.4}, created="2026-11-01T09:00:00+00:00"))
        for row in [*session.scalars(select(ScoreRow)), *session.scalars(select(ScoreHistory))]:
            row.created = datetime(2026, 11, 2, 12)  # imported on 2 November
    with sessions.begin() as session:
        import_record(session, make_board_record("net", {"Coggan2024.IT-rsa": 0.5}, created="2026-11-20T09:00:00+00:00"))
    engine.dispose()
    base = live_server(sqlite_url)
    page.goto(base)
    assert models(page) == ["net", "other"]
    page.fill("#as-of-date", "2026-11-10")
    page.click("#as-of-button")
    assert parse_qs(urlsplit(page.url).query) == {"as_of": ["2026-11-10"]}
    expect(page.locator("#as-of-notice")).to_contain_text("2026-11-10")
    assert models(page) == ["other", "net"]  # net's 0.5 came later: then it had 0.3
    expect(page.locator("tr[data-model=net] td.composite")).to_contain_text("0.300")
    screenshot(page, "board-as-of")
    page.goto(base + "/?as_of=2026-10-01")
    expect(page.locator("#model-count")).to_have_text("0")
    page.goto(base)
    page.click("#tool-history")
    expect(page.locator("#history tbody tr")).to_have_count(3)
    expect(page.locator("#history tbody tr").first).to_contain_text("net")
    expect(page.locator("#history tbody tr").first).to_contain_text("2026-11-20 09:00")  # when it was scored
    screenshot(page, "history")
    page.goto(base + "/models/net")
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("current")
    expect(rows.nth(1)).to_contain_text("replaced")
    expect(rows.nth(1)).to_contain_text("0.300")
    expect(rows.nth(1)).to_contain_text("0.1.0")  # the brainmark version that scored it
    rows.nth(1).locator("a").click()
    assert parse_qs(urlsplit(page.url).query) == {"as_of": ["2026-11-02"]}
    expect(page.locator("tr[data-model=net] td.composite")).to_contain_text("0.300")


def test_my_queue_reruns_a_failed_job_and_toggles_visibility(page: Page, browser, live_server, sqlite_url,
                                                             make_board_record, screenshot):
    from brainmark.leaderboard.db import Job, Submission, User
    from brainmark.leaderboard.store import add_user

    engine, sessions = open_database(sqlite_url)
    with sessions.begin() as session:
        token = add_user(session, "alice")
        alice = session.scalar(select(User))
        import_record(session, make_board_record("alice/net", {"Coggan2024.IT-rsa": 0.5}), owner=alice, public=True)
        sub = Submission(user=alice, kind="zoo", model_identifier="resnet18", public=True, benchmarks=["A", "B"],
                         status="failed", log="submitted zoo model resnet18")
        session.add(sub)
        session.add(Job(submission=sub, benchmark="A", status="done", attempts=1, log="scored"))
        session.add(Job(submission=sub, benchmark="B", status="failed", attempts=1,
                        log="loading weights\nscoring failed: the model ran out of memory (limit 512 MB)"))
    engine.dispose()
    base = live_server(sqlite_url, BRAINMARK_LEADERBOARD_BENCHMARKS="A,B")
    page.goto(f"{base}/login?next=/")
    page.fill("#token", token)
    page.click("#login-button")
    page.click("#my-submissions")
    expect(page.locator("#queue-summary")).to_contain_text("0 pending · 0 running · 0 finished · 1 failed")
    failed = page.locator("#submission-1 tr[data-state=failed]")
    expect(failed.locator("td.reason")).to_contain_text("scoring failed: the model ran out of memory (limit 512 MB)")
    failed.locator("details.log-tail summary").click()
    expect(failed.locator("details.log-tail pre")).to_contain_text("loading weights")
    expect(page.locator("#submission-1 .rerun-button")).to_have_count(1)  # only the failed job
    screenshot(page, "queue")
    page.click("#submission-1 .rerun-button")
    expect(page.locator("#submission-1")).to_have_attribute("data-status", "running")
    expect(page.locator("#submission-1 tr[data-state=pending]")).to_contain_text("B")
    expect(page.locator("#submission-1 .rerun-button")).to_have_count(0)
    page.click("#my-models .visibility-button")
    expect(page.locator("#my-models tr[data-model='alice/net'] td.visibility")).to_have_text("private")
    stranger = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    stranger.goto(base)
    expect(stranger.locator("#model-count")).to_have_text("0")
    page.goto(base)
    assert models(page) == ["alice/net"]  # its owner still sees it, marked private
    expect(page.locator("tr[data-model='alice/net'] .badge", has_text="private")).to_be_visible()
    stranger.context.close()
