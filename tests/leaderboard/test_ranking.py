"""The board ranks by the same hierarchical composite as `brainmark score`, and finds ImageNet top-1 in zoo metadata."""
from __future__ import annotations

import pytest

from brainmark.leaderboard.db import open_database
from brainmark.leaderboard.store import import_record, leaderboard
from brainmark.scores import Score
from brainmark.scoring.composites import hierarchical
from brainmark.scoring.results import BenchmarkResult, ResultsRecord


def _result(benchmark: str, ceiled: float, **meta) -> BenchmarkResult:
    score = Score(raw=ceiled / 2, error=0.01, meta=meta).with_ceiling(0.5, "ratio")
    assert score.ceiled == pytest.approx(ceiled)
    return BenchmarkResult(benchmark, 1, score, layer="l", seconds=1.0)


def test_board_composite_is_the_hierarchical_composite_and_skips_accuracy(tmp_path):
    results = [
        _result("V1-bench", 0.2, kind="neural", region="V1"),
        _result("IT-a", 0.6, kind="neural", region="IT"),
        _result("IT-b", 0.8, kind="neural", region="IT"),
        _result("consistency", 0.5, kind="behavioral", in_composites=True),
        _result("accuracy", 0.99, kind="behavioral", in_composites=False),
    ]
    # zoo records keep the top-1 (in percent) under "metadata"
    record = ResultsRecord(model={"identifier": "net", "metadata": {"imagenet_top1": 75.1}}, scores=results)
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'lb.sqlite'}")
    with sessions.begin() as session:
        import_record(session, record)
    with sessions() as session:
        (row,) = leaderboard(session).rows
    expected = hierarchical(results).score.ceiled  # neural = mean(V1 0.2, IT 0.7) = 0.45; overall = mean(0.45, 0.5)
    assert expected == pytest.approx(0.475)
    assert row.composite == pytest.approx(expected)
    assert row.top1 == pytest.approx(0.751)
    engine.dispose()
