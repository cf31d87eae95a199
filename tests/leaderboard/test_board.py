"""The board's views, from the database up (no browser): intervals, the group tied with the best (as `brainmark
compare` computes it), chosen benchmarks and weights, filters, history and the board as of a date, exports."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from fastapi import HTTPException
from sqlalchemy import select

import brainmark
from brainmark.leaderboard.boardview import board_for
from brainmark.leaderboard.db import Model, ScoreHistory, ScoreRow, open_database
from brainmark.leaderboard.exports import board_bibtex, board_csv, board_json
from brainmark.leaderboard.store import export_record, import_record
from brainmark.leaderboard.view import View, parse_view
from brainmark.scoring.composites import replicates_of, weighted
from brainmark.scoring.results import ResultsRecord
from brainmark.stats.bootstrap import percentile_interval
from brainmark.stats.inference import adjust

NEURAL = ["Coggan2024.V1-rsa", "Coggan2024.V4-rsa", "Cowley2023.V4-pls", "Coggan2024.IT-rsa",
          "Kriegeskorte2008.monkeyIT-rsa", "Geirhos2021edge-error_consistency", "Geirhos2021edge-accuracy"]


def _records(make_board_record):  # noqa: ANN001, ANN202
    """Four models: two close at the top (tied), one clearly worse, one untrained far below."""
    spec = {"top-a": (0.60, {}), "top-b": (0.595, {}), "middle": (0.45, {"family": "resnet"}),
            "random": (0.15, {"untrained": True, "family": "resnet", "parameters": 11_000_000})}
    return [make_board_record(name, {b: base + 0.01 * i for i, b in enumerate(NEURAL)}, spread=0.02, **kw)
            for name, (base, kw) in spec.items()]


@pytest.fixture
def board_db(database_url, make_board_record):  # noqa: ANN001, ANN201
    engine, sessions = open_database(database_url)
    records = _records(make_board_record)
    with sessions.begin() as session:
        for r in records:
            import_record(session, r)
    yield sessions, records
    engine.dispose()


def test_board_ties_and_rank_intervals_are_brainmark_compares(board_db):
    sessions, records = board_db
    with sessions() as session:
        board = board_for(session, View(), None)
    report = brainmark.compare(records)
    expected = {row.model: row for row in next(r for r in report.rankings if r.composite == "hierarchical").rows}
    assert [r.model.identifier for r in board.rows] == ["top-a", "top-b", "middle", "random"]
    for row in board.rows:
        want = expected[row.model.identifier]
        assert row.composite.value == pytest.approx(want.value)
        assert row.composite.ci == pytest.approx(want.ci)
        assert row.rank_ci == pytest.approx(want.rank_ci)
        assert row.tied is want.tied_with_best
    assert [r.tied for r in board.rows] == [True, True, False, False]  # the known truth of these records
    assert board.excluded == {"Geirhos2021edge-accuracy": "reported only (not a brain-likeness benchmark)",
                              "Kriegeskorte2008.monkeyIT-rsa": "no ceiling (its raw value is not on the ceiled scale)"}
    assert "Kriegeskorte2008.monkeyIT-rsa" not in board.counted and len(board.counted) == 5


def test_stored_intervals_round_trip_and_older_rows_get_theirs_from_the_replicates(board_db):
    sessions, records = board_db
    with sessions.begin() as session:
        row = session.scalars(select(ScoreRow)).first()
        original = next(s for r in records for s in r.scores
                        if r.model_identifier == row.model.identifier and s.benchmark == row.benchmark.identifier)
        assert (row.ci_low, row.ci_high, row.ci_level) == pytest.approx((*original.score.ci, 0.95))
        back = export_record(row.model).score_for(row.benchmark.identifier).score
        assert back.ci == pytest.approx(original.score.ci) and back.ci_level == 0.95
        row.ci_low = row.ci_high = row.ci_level = None  # a row stored before migration 0003
    with sessions() as session:
        row = session.get(ScoreRow, row.id)
        again = export_record(row.model).score_for(row.benchmark.identifier).score
        assert again.ci == pytest.approx(original.score.ci, abs=1e-12)


def test_weighted_composite_is_the_weighted_mean_of_values_and_of_replicates(board_db):
    sessions, records = board_db
    weights = {"Cowley2023.V4-pls": 3.0, "Coggan2024.IT-rsa": 1.0}
    view = parse_view({"composite": "weighted", **{f"w.{b}": "0" for b in NEURAL if b not in weights},
                       "w.Cowley2023.V4-pls": "3"})
    assert view.weight("Cowley2023.V4-pls") == 3 and view.weight("Coggan2024.IT-rsa") == 1
    with sessions() as session:
        board = board_for(session, view, None)
    assert [b.identifier for b in board.benchmarks] == sorted(weights)
    record = records[2]
    scores = {s.benchmark: s.score for s in record.scores}
    row = next(r for r in board.rows if r.model.identifier == "middle")
    expected = (3 * scores["Cowley2023.V4-pls"].ceiled + scores["Coggan2024.IT-rsa"].ceiled) / 4
    assert row.composite.value == pytest.approx(expected)
    reps = [replicates_of(scores[b]) for b in ("Cowley2023.V4-pls", "Coggan2024.IT-rsa")]
    joint = (3 * reps[0].joint + reps[1].joint) / 4
    comp = weighted([s for s in record.scores if s.benchmark in weights], weights)
    assert np.allclose(replicates_of(comp.score).joint, joint)
    assert row.composite.ci == pytest.approx(percentile_interval(replicates_of(comp.score).corrected(expected), 0.95))
    assert row.composite.ci[0] < expected < row.composite.ci[1]


def test_partial_models_are_marked_and_not_ranked_against_complete_ones(database_url, make_board_record):
    engine, sessions = open_database(database_url)
    with sessions.begin() as session:
        for name, base in (("full-a", 0.5), ("full-b", 0.3)):
            import_record(session, make_board_record(name, {b: base for b in NEURAL}))
        import_record(session, make_board_record("part", {b: 0.9 for b in NEURAL if not b.startswith("Cowley")}))
    with sessions() as session:
        board = board_for(session, View(), None)
    part = next(r for r in board.rows if r.model.identifier == "part")
    assert part.missing == ["Cowley2023.V4-pls"] and part.tied is None and part.rank_ci is None
    assert board.rows[0] is part  # listed by its own composite, said to be partial
    assert [r.tied for r in board.rows if r is not part] == [True, False]
    assert "among the 2 models with every counted benchmark" in board.stats_note
    engine.dispose()


def test_filters_on_family_weights_and_parameter_count(board_db):
    sessions, _ = board_db
    with sessions() as session:
        names = lambda **q: [r.model.identifier for r in board_for(session, parse_view(q), None).rows]  # noqa: E731
        assert names(family="resnet") == ["middle", "random"]
        assert names(trained="untrained") == ["random"]
        assert names(trained="pretrained") == ["top-a", "top-b", "middle"]
        assert names(params_min="10") == ["random"] and names(params_max="6") == ["top-a", "top-b", "middle"]
        assert names(training="none (random weights)") == ["random"]
        board = board_for(session, parse_view({"trained": "pretrained", "family": "tinynet"}), None)
        assert [r.tied for r in board.rows] == [True, True]  # the ranking is recomputed among the shown models
        assert board.options["family"] == ["resnet", "tinynet"]


@pytest.mark.parametrize("query, message", [({"composite": "best"}, "unknown composite"),
                                            ({"w.X": "-1"}, "between 0 and 1000"), ({"as_of": "soon"}, "YYYY-MM-DD"),
                                            ({"trained": "yes"}, "pretrained or untrained"),
                                            ({"params_max": "lots"}, "must be a number")])
def test_bad_view_parameters_are_refused_with_the_reason(query, message):
    with pytest.raises(HTTPException, match=message) as info:
        parse_view(query)
    assert info.value.status_code == 400


def test_the_view_round_trips_through_its_canonical_query():
    from urllib.parse import parse_qs

    view = parse_view({"composite": "weighted", "w.A": "2", "w.B": "1", "as_of": "2026-11-30", "family": "resnet",
                       "params_min": "1.5", "open": "IT,V4"})
    query = view.query()
    assert "w.B" not in query and "w.A=2" in query and "open=IT%2CV4" in query
    back = parse_view({k: v[0] for k, v in parse_qs(query[1:]).items()})
    assert back == view and back.key() == view.key() and back.open == ("IT", "V4")
    assert View().query() == "" and parse_view({"open": "none"}).open == ()


def test_history_keeps_every_score_and_the_board_can_be_viewed_as_of_a_date(database_url, make_board_record):
    from datetime import datetime

    engine, sessions = open_database(database_url)
    first = make_board_record("net", {"Coggan2024.IT-rsa": 0.3}, created="2026-11-01T10:00:00+00:00")
    second = make_board_record("net", {"Coggan2024.IT-rsa": 0.5}, created="2026-11-20T10:00:00+00:00")
    for record, day in ((first, 2), (first, 3), (second, 21)):  # the same record twice: stored once
        with sessions.begin() as session:
            import_record(session, record)
            for row in session.scalars(select(ScoreRow)):
                row.created = datetime(2026, 11, day, 12)
            for h in session.scalars(select(ScoreHistory).where(ScoreHistory.created > datetime(2026, 11, day))):
                h.created = datetime(2026, 11, day, 12)
    with sessions() as session:
        history = session.scalars(select(ScoreHistory).order_by(ScoreHistory.created)).all()
        assert [h.ceiled for h in history] == pytest.approx([0.3, 0.5])
        assert [h.scored_at for h in history] == [datetime(2026, 11, 1, 10), datetime(2026, 11, 20, 10)]
        assert {h.brainmark_version for h in history} == {"0.1.0"}
        assert board_for(session, View(), None).rows[0].composite.value == pytest.approx(0.5)
        then = board_for(session, parse_view({"as_of": "2026-11-10"}), None)
        assert then.rows[0].composite.value == pytest.approx(0.3) and then.rows[0].tied is True
        assert board_for(session, parse_view({"as_of": "2026-10-01"}), None).rows == []
    engine.dispose()


def test_migration_0003_keeps_older_rows_readable(database_url, make_board_record):
    """0002 -> head: a score stored before the interval columns existed gets one from its replicates, and is in
    the history as imported when it was stored."""
    import sqlalchemy as sa

    from brainmark.leaderboard.db import make_engine, migrate

    engine = make_engine(database_url)
    migrate(engine, "0002")
    score = make_board_record("old-net", {"Coggan2024.IT-rsa": 0.4}).scores[0].score
    d = score.to_dict()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO models (identifier, public, metadata, environment, created) "
                             "VALUES ('old-net', true, '{}', '{}', '2026-11-01')"))
        conn.execute(sa.text("INSERT INTO benchmarks (identifier, version, description, data, bibtex) "
                             "VALUES ('Coggan2024.IT-rsa', 1, '', '', '')"))
        conn.execute(sa.text(
            'INSERT INTO scores (model_id, benchmark_id, raw, ceiled, ceiling, "values", labels, meta, environment, '
            "created) VALUES (1, 1, :raw, :ceiled, :ceiling, :values, '{}', :meta, '{}', '2026-11-01')"),
            {"raw": d["raw"], "ceiled": d["ceiled"], "ceiling": d["ceiling"], "values": json.dumps(d["values"]),
             "meta": json.dumps(d["meta"])})
    migrate(engine)
    from sqlalchemy.orm import sessionmaker

    with sessionmaker(engine)() as session:
        board = board_for(session, View(), None)
        (row,) = board.rows
        assert row.interval(board.benchmarks[0]).ci == pytest.approx(score.ci, abs=1e-12)
        (h,) = session.scalars(select(ScoreHistory)).all()
        assert h.ceiled == pytest.approx(0.4) and h.scored_at is None and str(h.created).startswith("2026-11-01")
    engine.dispose()


def test_exports_state_the_view(board_db):
    sessions, _ = board_db
    view = parse_view({"composite": "weighted", "w.Cowley2023.V4-pls": "2", "trained": "pretrained"})
    with sessions() as session:
        board = board_for(session, view, None)
        for b in board.benchmarks:
            b.bibtex = "@article{coggan2024, title={Occlusion}}" if b.identifier.startswith("Coggan") else ""
        text = board_csv(board, "http://host/" + view.query())
        data = board_json(board)
        bib = board_bibtex(board)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments[0] == "# brainmark leaderboard view: http://host/?composite=weighted&w.Cowley2023.V4-pls=2&trained=pretrained"
    assert any("Cowley2023.V4-pls=2" in c and "Coggan2024.IT-rsa=1" in c for c in comments if c.startswith("# weights"))
    assert any("Kriegeskorte2008.monkeyIT-rsa (no ceiling" in c for c in comments)
    rows = list(csv.DictReader(io.StringIO("\n".join(l for l in text.splitlines() if not l.startswith("#")))))
    assert [r["model"] for r in rows] == ["top-a", "top-b", "middle"] and rows[0]["tied_with_best"] == "true"
    assert float(rows[0]["composite_ci_low"]) < float(rows[0]["composite"]) < float(rows[0]["composite_ci_high"])
    assert data["view"]["weights"]["Cowley2023.V4-pls"] == 2 and data["models"][0]["composite_ci"]
    assert data["models"][0]["scores"]["Coggan2024.IT-rsa"]["ci"] and data["models"][0]["tied_with_best"] is True
    assert bib.count("@article{coggan2024") == 1 and "cited by Coggan2024.IT-rsa v1, Coggan2024.V1-rsa v1" in bib
    assert "no BibTeX recorded for: Cowley2023.V4-pls" in bib


def test_layers_in_network_order_and_model_facets():
    from brainmark.leaderboard.facets import model_facets
    from brainmark.leaderboard.plots import layer_order

    table = {"_blocks.0": 1, "_blocks.10": 2, "_blocks.14": 3, "_blocks.2": 4, "_bn0": 0}
    assert list(layer_order(table, ["_bn0", "_blocks.0", "_blocks.2", "_blocks.10", "_blocks.14"])) == [
        "_bn0", "_blocks.0", "_blocks.2", "_blocks.10", "_blocks.14"]
    assert list(layer_order(table)) == ["_blocks.0", "_blocks.2", "_blocks.10", "_blocks.14", "_bn0"]  # natural
    zoo = model_facets("resnet18-untrained-seed4", {"options": {"untrained": True}})
    assert (zoo.family, zoo.pretrained, zoo.training_data) == ("resnet", False, "none (random weights)")
    trained = model_facets("resnet18", {"metadata": {"imagenet_top1": 69.8}, "parameter_count": 11689512})
    assert (trained.family, trained.weights, trained.training_data, trained.parameter_count) == (
        "resnet", "pretrained", "ImageNet-1k", 11689512)
    upload = model_facets("alice/resnet18", {"metadata": {"source": "upload"}})
    assert (upload.family, upload.weights, upload.parameter_count) == (None, "unknown", None)


def test_parameter_count_is_recorded_at_scoring_time(tiny_spec):
    from brainmark.models import load_model
    from brainmark.scoring.provenance import model_info

    model = load_model(tiny_spec())
    expected = sum(p.numel() for p in tiny_spec().module.parameters())
    assert model_info(model)["parameter_count"] == expected == model.parameter_count


def test_a_benchmark_that_cannot_be_paired_is_listed_and_the_others_compared(board_db):
    from brainmark.leaderboard.comparison import compare_models
    from brainmark.leaderboard.snapshot import build_snapshot

    sessions, _ = board_db
    with sessions.begin() as session:
        row = session.scalar(select(ScoreRow).join(Model).where(Model.identifier == "middle")
                             .join(ScoreRow.benchmark).where(ScoreRow.benchmark.has(identifier="Cowley2023.V4-pls")))
        row.values = {k: v for k, v in row.values.items() if k != "bootstrap"}  # an older record's score
    with sessions() as session:
        snapshot = build_snapshot(session)
        models = {m.identifier: m for m in snapshot.models}
        result = compare_models(snapshot, models["top-a"], models["middle"])
    lines = {line.name: line for line in result.lines}
    assert lines["Cowley2023.V4-pls"].comparison is None
    assert "no bootstrap replicates for 'Cowley2023.V4-pls'" in lines["Cowley2023.V4-pls"].reason
    made = [line.comparison for line in result.lines if line.comparison is not None]
    assert len(made) == len(NEURAL) - 1 + 2  # the other benchmarks and both composites
    raw = np.asarray([c.p for c in made])
    assert [c.p_adjusted for c in made] == pytest.approx(list(adjust(raw, "holm")))  # across those made


@pytest.fixture(scope="module")
def real_records():  # noqa: ANN201
    """Real scores of the tiny network (trained and two untrained seeds) on four shipped benchmarks, one without a
    ceiling and one reported only."""
    from brainmark.models.loading import register_model
    from brainmark.scoring import score_model
    from tests.conftest import _tiny_spec

    register_model("tinynet-board", _tiny_spec, imagenet_top1=1.0, replace=True)
    benchmarks = ["Kriegeskorte2008.monkeyIT-rsa", "Coggan2024.V1-rsa", "Geirhos2021edge-error_consistency",
                  "Geirhos2021edge-accuracy"]
    return [score_model("tinynet-board", benchmarks, model_options=o)
            for o in ({}, {"untrained": True}, {"untrained": True, "seed": 4})]


@pytest.mark.slow
def test_real_records_on_the_board_match_brainmark_compare(sqlite_url, real_records):
    from fastapi.testclient import TestClient

    from brainmark.leaderboard import web

    engine, sessions = open_database(sqlite_url)
    with sessions.begin() as session:
        for r in real_records:
            import_record(session, r)
    with sessions() as session:
        board = board_for(session, View(), None)
    report = brainmark.compare(real_records)
    ranking = {row.model: row for row in next(r for r in report.rankings if r.composite == "hierarchical").rows}
    for row in board.rows:
        want = ranking[row.model.identifier]
        assert (row.composite.value, row.tied) == (pytest.approx(want.value), want.tied_with_best)
        assert row.rank_ci == pytest.approx(want.rank_ci) and row.composite.ci == pytest.approx(want.ci)
    assert board.excluded["Kriegeskorte2008.monkeyIT-rsa"].startswith("no ceiling")
    assert board.excluded["Geirhos2021edge-accuracy"].startswith("reported only")
    a, b = real_records[0].model_identifier, real_records[1].model_identifier
    data = TestClient(web.create_app(sqlite_url)).get("/api/compare", params={"a": a, "b": b}).json()
    expected = {(c.benchmark): c for c in brainmark.compare(real_records[:2]).comparisons}
    assert {c["benchmark"] for c in data["comparisons"] if c["difference"] is not None} == set(expected)
    for c in data["comparisons"]:
        if c["difference"] is not None:
            e = expected[c["benchmark"]]
            assert (c["difference"], c["p"], c["p_adjusted"]) == pytest.approx((e.difference, e.p, e.p_adjusted))
            assert c["ci"] == pytest.approx(list(e.ci))
    engine.dispose()


def test_api_serves_the_view_its_correlations_and_a_models_history(board_db, database_url):
    from fastapi.testclient import TestClient

    from brainmark.leaderboard import web

    client = TestClient(web.create_app(database_url))
    board = client.get("/api/leaderboard", params={"composite": "weighted", "w.Cowley2023.V4-pls": "2"}).json()
    assert board["view"]["composite"] == "weighted" and board["view"]["weights"]["Cowley2023.V4-pls"] == 2
    assert [m["tied_with_best"] for m in board["models"]] == [True, True, False, False]
    assert client.get("/api/leaderboard", params={"composite": "nope"}).status_code == 400
    corr = client.get("/api/correlations").json()
    assert len(corr["benchmarks"]) == len(NEURAL) and corr["models"] == ["top-a", "top-b", "middle", "random"]
    pair = next(p for p in corr["pairs"] if {p["a"], p["b"]} == {"Coggan2024.V1-rsa", "Cowley2023.V4-pls"})
    assert pair["n"] == 4 and pair["pearson"] == pytest.approx(1.0)  # the records move together by design
    assert corr["reliability"]["Coggan2024.V1-rsa"]["n"] == 4
    fewer = client.get("/api/correlations", params={"w.Coggan2024.V1-rsa": "0", "trained": "pretrained"}).json()
    assert "Coggan2024.V1-rsa" not in fewer["benchmarks"] and len(fewer["models"]) == 3  # the view's
    history = client.get("/api/history/middle").json()
    assert len(history) == len(NEURAL) and {h["brainmark_version"] for h in history} == {"0.1.0"}
    assert all(h["ci"][0] < h["ceiled"] < h["ci"][1] for h in history)
    assert client.get("/api/history/nope").status_code == 404
    assert client.get("/api/compare", params={"a": "middle", "b": "middle"}).status_code == 400
    assert client.get("/compare", params={"a": "middle", "b": "middle"}).status_code == 400
    assert client.get("/compare", params={"a": "middle", "b": "nope"}).status_code == 404
    page = client.get("/compare", params={"a": "middle", "b": "random", "adjust": "bh"}).text
    assert "(Benjamini-Hochberg)" in page and page.count("A higher") == len(NEURAL)


def test_table1_and_figure1_pages_are_the_reproduce_report_over_the_view(board_db, database_url):
    from fastapi.testclient import TestClient

    from brainmark.leaderboard import web
    from brainmark.leaderboard.paperpages import with_2018_composite
    from brainmark.reports.schrimpf2018 import table1
    from brainmark.scoring.composites import brainscore2018

    _, records = board_db
    client = TestClient(web.create_app(database_url))
    board = client.get("/").text
    assert "/reports/schrimpf2018-table1" in board and "/reports/schrimpf2018-figure1" in board
    page = client.get("/reports/schrimpf2018-table1")
    assert page.status_code == 200
    expected = table1(with_2018_composite(records))  # the same function as `brainmark reproduce schrimpf2018`
    assert list(expected["model"]) == ["top-a", "top-b", "middle", "random"]
    for record in records:
        composite = brainscore2018(record.scores)
        assert f"{composite.score.ceiled:.3f}" in page.text  # each model's 2018 composite, as the table prints it
    assert "Kriegeskorte2008.monkeyIT-rsa (no ceiling" in page.text  # left out, and said so
    assert "pairwise composite differences are significant" in page.text
    figure = client.get("/reports/schrimpf2018-figure1").text
    assert 'src="data:image/png;base64,' in figure and "above 70" in figure
    fewer = client.get("/reports/schrimpf2018-table1", params={"trained": "pretrained"}).text
    assert "top-a" in fewer and ">random<" not in fewer  # the view's filters apply


def test_model_page_shows_the_shape_bias_plot_of_a_cue_conflict_score(database_url):
    from fastapi.testclient import TestClient

    from brainmark.leaderboard import web
    from tests.reports.test_shape_bias_plot import _record

    engine, sessions = open_database(database_url)
    with sessions.begin() as session:
        import_record(session, _record("shape-net", 0.25))
        import_record(session, ResultsRecord(model={"identifier": "plain-net"}, scores=[], composites=[]))
    client = TestClient(web.create_app(database_url))
    page = client.get("/models/shape-net").text
    figure = page[page.index('<figure id="shape-bias">'):]
    assert figure.startswith('<figure id="shape-bias"><svg') and "<?xml" not in page
    assert "shape-net: 0.250" in figure and "humans (each subject)" in figure  # the model's overall bias, the humans
    assert 'id="shape-bias"' not in client.get("/models/plain-net").text
    engine.dispose()


def test_the_app_ranks_the_default_board_before_its_first_request(board_db, database_url):
    from fastapi.testclient import TestClient

    from brainmark.leaderboard import snapshot as snapshots
    from brainmark.leaderboard import web

    snapshots._SNAPSHOTS.clear()
    with TestClient(web.create_app(database_url)):  # start-up ran; no request yet
        (snap,) = snapshots._SNAPSHOTS.values()
        ranked = [key for key in snap.memo if isinstance(key, tuple) and key[0] == "composite"]
        assert len(ranked) == 4  # the four models' composites of the default view, computed at start-up
