"""compare_records: every recorded value against its recomputation (no model needed)."""
import pytest

from brainmark.scores import Score
from brainmark.scoring.composites import compute_composites
from brainmark.scoring.results import BenchmarkResult, ResultsRecord
from brainmark.scoring.verify import compare_records


def _record(it: float = 0.5, v4: float = 0.4, layer: str = "l2", version: int = 1, drop: str | None = None):
    def result(bench: str, value: float, region: str) -> BenchmarkResult:
        score = Score(raw=value * 0.8, error=0.02, ceiling=0.8, ceiled=value, ceiled_error=0.025, convention="ratio",
                      meta={"kind": "neural", "region": region})
        return BenchmarkResult(bench, version, score, layer=layer, seconds=1.0)

    scores = [result("X.IT-rsa", it, "IT"), result("X.V4-pls", v4, "V4")]
    scores = [s for s in scores if s.benchmark != drop]
    return ResultsRecord(model={"identifier": "m"}, scores=scores, composites=compute_composites(scores))


def test_identical_records_compare_every_value():
    report = compare_records(_record(), _record())
    assert report.identical and report.n_scores == 2 and report.n_composites == 2
    assert report.compared == 2 * (2 + 8 + 1) + 2 * (8 + 1)  # version, layer, 6 numbers + 2 interval bounds, convention


def test_differences_are_named_in_order():
    report = compare_records(_record(), _record(it=0.6, layer="l3", version=2))
    assert [(d.item, d.field) for d in report.differences][:4] == [
        ("X.IT-rsa", "benchmark_version"), ("X.IT-rsa", "layer"), ("X.IT-rsa", "raw"), ("X.IT-rsa", "ceiled")]
    raw = next(d for d in report.differences if d.field == "raw")
    assert raw.difference == pytest.approx(0.08) and (raw.recorded, raw.recomputed) == pytest.approx((0.4, 0.48))
    assert {d.item for d in report.differences} >= {"X.V4-pls", "brainscore2018", "hierarchical"}
    assert compare_records(_record(), _record(it=0.5 + 1e-12), tolerance=1e-9).identical


def test_missing_benchmarks_and_composites_are_differences():
    report = compare_records(_record(), _record(drop="X.IT-rsa"))
    missing = [(d.item, d.recorded, d.recomputed) for d in report.differences if d.field == "missing"]
    assert missing == [("X.IT-rsa", "present", "absent")]
    extra = compare_records(_record(drop="X.IT-rsa"), _record())  # an extra recomputed benchmark is no difference
    assert {d.item for d in extra.differences} == {"brainscore2018", "hierarchical"}  # but the composites moved
    no_composites = ResultsRecord(model={"identifier": "m"}, scores=_record().scores)
    missing = [d.item for d in compare_records(_record(), no_composites).differences if d.field == "missing"]
    assert missing == ["brainscore2018", "hierarchical"]
