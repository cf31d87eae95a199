"""The Schrimpf et al. 2018 analyses from results records: Table 1, figures, correlations, image-level shares."""
import math

import numpy as np
import pandas as pd
import pytest

from brainmark.metrics.behavioral.i2n import I2n
from brainmark.reports import schrimpf2018 as s18
from brainmark.reports.schrimpf2018_html import write_schrimpf2018_report
from brainmark.scores import Score, per_unit
from brainmark.scoring.composites import compute_composites
from brainmark.scoring.results import BenchmarkResult, ResultsRecord
from brainmark.testing import simulate_i2n_observers

N_RESAMPLES = 400
#: benchmark -> (kind, region); two V4 benchmarks make one group (their mean), as offline here
BENCHMARKS = {"A.V4-pls": ("neural", "V4"), "B.V4-rsa": ("neural", "V4"), "C.IT-rsa": ("neural", "IT"),
              "D-error_consistency": ("behavioral", None)}
SHARED = {b: np.random.default_rng(i).normal(0, 1, (3, N_RESAMPLES)) for i, b in enumerate(BENCHMARKS)}


def _score(benchmark: str, value: float, spread: float, seed: int) -> Score:
    """A ceiled score whose replicates share each benchmark's draws across models (paired) plus a little noise."""
    kind, region = BENCHMARKS[benchmark]
    own = np.random.default_rng(seed).normal(0, 0.2 * spread, (3, N_RESAMPLES))
    joint, stimuli, units = value + spread * SHARED[benchmark] + own
    ci = tuple(np.percentile(joint, [2.5, 97.5]))
    meta = {"kind": kind, "region": region, "convention": "ratio", "data_checksum": f"data-{benchmark}",
            "stimulus_set_hash": f"stim-{benchmark}",
            "bootstrap": {"level": 0.95, "key": f"key-{benchmark}", "resampled": {"stimuli": 100, "neuroids": 40}}}
    values = {"bootstrap": per_unit(joint, "resample"), "bootstrap_stimuli": per_unit(stimuli, "resample"),
              "bootstrap_units": per_unit(units, "resample")}
    return Score(raw=0.8 * value, error=spread, ceiling=0.8, ceiling_error=0.01, ceiled=value, ceiled_error=spread,
                 convention="ratio", ci=ci, ci_level=0.95, values=values, meta=meta)


def _record(name: str, top1: float, v4a: float, v4b: float, it: float, beh: float, untrained: bool = False,
            spread: float = 0.01) -> ResultsRecord:
    scores = [BenchmarkResult(b, 1, _score(b, v, spread, hash((name, b)) % 2**32))
              for b, v in zip(BENCHMARKS, (v4a, v4b, it, beh))]
    model = {"identifier": name, "metadata": {"imagenet_top1": top1},
             "options": {"untrained": True} if untrained else {}}
    return ResultsRecord(model=model, scores=scores, composites=compute_composites(scores))


@pytest.fixture(scope="module")
def records():
    return [
        _record("net-c", 78.0, 0.60, 0.70, 0.70, 0.50),
        _record("net-a", 72.0, 0.50, 0.60, 0.60, 0.40),
        _record("net-b", 73.5, 0.55, 0.65, 0.66, 0.44),
        _record("net-a-untrained", 0.1, 0.30, 0.20, 0.30, 0.05, untrained=True),
        _record("net-b-untrained", 0.1, 0.32, 0.22, 0.23, 0.10, untrained=True),  # the same composite as net-a
    ]


def test_table1_sorts_by_the_composite_with_intervals_ranks_and_notes(records):
    table = s18.table1(records)
    assert list(table["model"])[:3] == ["net-c", "net-b", "net-a"]
    assert set(table["model"][3:]) == {"net-a-untrained", "net-b-untrained"}
    first = table.iloc[0]
    assert first["V4"] == pytest.approx((0.60 + 0.70) / 2) and first["IT"] == pytest.approx(0.70)
    assert first["brainscore"] == pytest.approx(np.mean([0.65, 0.70, 0.50]))
    for name in ("brainscore", "V4", "IT", "behavior"):
        assert (table[f"{name}_ci_low"] < table[name]).all() and (table[name] < table[f"{name}_ci_high"]).all()
    assert list(table["pretrained"]) == [True, True, True, False, False]
    assert first["rank"] == 1 and bool(first["tied_with_best"]) and not table.iloc[-1]["tied_with_best"]
    assert list(table["imagenet_top1"]) == [78.0, 73.5, 72.0, 0.1, 0.1]
    assert table.attrs["groups"]["V4"] == ["A.V4-pls", "B.V4-rsa"] and table.attrs["level"] == 0.95
    notes = table.attrs["notes"]
    assert "MajajHong2015.V4-pls was not run" in notes[0] and "A.V4-pls, B.V4-rsa" in notes[0]
    shown = s18.format_table1(table)
    assert shown.iloc[0]["Brain-Score"].startswith(f"{first['brainscore']:.3f} [")
    assert shown.iloc[3]["model"].endswith("-untrained (untrained)") and shown.iloc[0]["rank"].startswith("1 [")
    assert shown.iloc[0]["tied with best"] == "yes" and shown.iloc[-1]["tied with best"] == "no"
    assert s18.markdown(shown).splitlines()[1].count("---") == len(shown.columns)


def test_which_composite_differences_are_real(records):
    diffs = s18.composite_differences(records)
    assert len(diffs) == 10  # every pair of five models
    by_pair = {frozenset((r.a, r.b)): r for r in diffs.itertuples()}
    assert by_pair[frozenset(("net-c", "net-a-untrained"))].real  # 0.62 vs 0.18
    close = by_pair[frozenset(("net-a-untrained", "net-b-untrained"))]  # equal composites
    assert close.difference == pytest.approx(0, abs=1e-12) and close.ci_low < 0 < close.ci_high
    assert not close.real and close.p_holm > 0.05
    assert (diffs["p_holm"] >= diffs["p_normal"]).all() and (diffs["p_adjusted_all"] >= diffs["p"]).all()
    assert diffs.loc[diffs["real"], "p_holm"].max() < 0.05 and diffs["real"].sum() >= 6


def test_figure1_statistics_below_and_above_the_threshold(records):
    stats = s18.top1_correlations(records).set_index("subset")
    top1 = np.array([78.0, 72.0, 73.5])
    composite = np.array([np.mean([0.65, 0.70, 0.50]), np.mean([0.55, 0.60, 0.40]), np.mean([0.60, 0.66, 0.44])])
    above = stats.loc["top-1 >= 70 %"]
    assert above["n"] == 3 and above["r"] == pytest.approx(np.corrcoef(top1, composite)[0, 1])
    assert above["r_ci_low"] <= above["r"] <= above["r_ci_high"]
    below = stats.loc["top-1 < 70 %"]
    assert below["n"] == 2 and math.isnan(below["r"]) and "3 needed" in below["note"]
    assert stats.loc["all", "n"] == 5 and stats.loc["all", "r"] > 0.9 and stats.loc["all", "p"] < 0.05


def test_benchmark_correlations_across_models(records):
    groups = s18.benchmark_correlations(records, "group")
    assert list(zip(groups["a"], groups["b"])) == [("V4", "IT"), ("V4", "behavior"), ("IT", "behavior")]
    table = s18.table1(records)
    expected = np.corrcoef(table["IT"], table["behavior"])[0, 1]
    row = groups[(groups.a == "IT") & (groups.b == "behavior")].iloc[0]
    assert row["r"] == pytest.approx(expected) and row["n"] == 5 and row["r_ci_low"] < row["r"] < row["r_ci_high"]
    matrix = s18.correlation_matrix(s18.benchmark_correlations(records, "benchmark"))
    assert matrix.shape == (4, 4) and np.allclose(np.diag(matrix), 1) and np.allclose(matrix, matrix.T)
    with pytest.raises(ValueError, match="group"):
        s18.benchmark_correlations(records, "region")


def test_image_level_shares_by_hand():
    shares = s18.image_level_shares([0, 0, 1.5, -1, np.nan], [0, 2, 0, -3, 1])
    assert shares == {"n_images": 4, "within": 0.25, "human_easier": 0.25, "model_easier": 0.5}
    with pytest.raises(ValueError, match="one value per image"):
        s18.image_level_shares([0, 1], [0])


@pytest.mark.parametrize("power, dominant", [(1.0, "within"), (0.3, "human_easier"), (3.0, "model_easier")])
def test_image_level_analysis_on_simulated_i2n_observers(power, dominant):
    """A model at the humans' ceiling agrees image by image; a less confident one finds the images harder than
    humans do (human easier), an over-confident one easier, though both keep a high I2n (it is normalised)."""
    trials, model = simulate_i2n_observers(n_trials=60_000)
    probabilities = model.values ** power
    model = model.copy(data=probabilities / probabilities.sum(1, keepdims=True))
    score = I2n(fa_rule="paper")(model, trials)
    assert set(score.values["image_dprime_model"]["stimulus"].values) == set(trials["stimulus_id"].values)
    record = ResultsRecord(model={"identifier": "sim"}, scores=[BenchmarkResult("Sim-i2n", 1, score)])
    shares = s18.image_level([record]).iloc[0]
    assert shares["n_images"] == 80 and shares[dominant] > 0.8
    assert shares["within"] + shares["human_easier"] + shares["model_easier"] == pytest.approx(1.0)
    assert score.ceiled > 0.8


def test_the_report_writes_every_table_figure_and_says_which_data(records, tmp_path):
    written = write_schrimpf2018_report(records, tmp_path, reasons={"V4": "no network"}, extra_notes=["run: 1 s"])
    for name in ("table1.csv", "table1.md", "composite_differences.csv", "top1_correlations.csv",
                 "correlations_groups.csv", "correlations_benchmarks.csv", "image_level.csv", "notes.txt"):
        assert (tmp_path / name).is_file(), name
        assert "was not run" in (tmp_path / name).read_text(), name  # every output names the stand-ins
    for stem in ("figure1", "figure2", "correlations_groups", "correlations_benchmarks"):
        assert {p.suffix for p in written[stem]} == {".png", ".svg"}
    back = pd.read_csv(tmp_path / "table1.csv", comment="#")
    assert list(back["model"])[0] == "net-c"
    page = written["html"].read_text()
    assert "Table 1" in page and "Figure 1" in page and "Figure 2" in page and page.count("data:image/png") == 4
    assert "(no network)" in page and "run: 1 s" in page and "not run: no I2n benchmark" in page
    assert "src=\"http" not in page  # self-contained
