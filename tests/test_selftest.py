"""The ground-truth self-test: its simulations have the stated properties, it passes, and it can fail."""
import math

import numpy as np
import pytest
from typer.testing import CliRunner

import brainmark.selftest as st
from brainmark.cli.main import app
from brainmark.scores import Score


def test_simulated_recordings_have_the_stated_reliability():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((400, 50)) @ rng.standard_normal((50, 80))
    ids = [f"s{i}" for i in range(400)]
    data = st.simulate_recordings(features, ids, seed=0)
    assert data.dims == ("presentation", "neuroid", "repetition") and data.shape == (400, st.NEURAL_UNITS, st.REPETITIONS)
    reps = data.values
    half_a, half_b = reps[:, :, :2].mean(2), reps[:, :, 2:].mean(2)
    r = np.median([np.corrcoef(half_a[:, j], half_b[:, j])[0, 1] for j in range(reps.shape[1])])
    assert 2 * r / (1 + r) == pytest.approx(st.RELIABILITY, abs=0.03)  # Spearman-Brown of the split halves
    pcs = st.principal_scores(features, st.NEURAL_COMPONENTS)
    signal = reps.mean(2)
    beta, *_ = np.linalg.lstsq(np.c_[pcs, np.ones(400)], signal, rcond=None)
    explained = 1 - ((signal - np.c_[pcs, np.ones(400)] @ beta).var(0) / signal.var(0))
    assert np.median(explained) == pytest.approx(st.RELIABILITY, abs=0.05)  # the signal is a linear map of the PCs


def test_simulated_rdms_follow_the_layer_and_the_control_shuffles_ids():
    rng = np.random.default_rng(1)
    features = np.abs(rng.standard_normal((200, 60)))
    ids = [f"s{i}" for i in range(200)]
    rdms = st.simulate_matrices(features, ids, seed=0)
    assert rdms.dims == ("subject", "stimulus_row", "stimulus_col") and rdms.sizes["subject"] == st.RSA_SUBJECTS
    assert rdms.sizes["stimulus_row"] == st.RSA_STIMULI
    from brainmark.data import make_assembly
    from brainmark.metrics.neural import rdm

    kept = [ids.index(s) for s in rdms["stimulus_row"].values]
    layer = rdm(make_assembly(features[kept], list(rdms["stimulus_row"].values))).values
    rows, cols = np.triu_indices(len(kept), 1)
    import scipy.stats

    r = [scipy.stats.spearmanr(layer[rows, cols], m[rows, cols]).statistic for m in rdms.values]
    assert min(r) > 0.5
    control = st.shuffled(rdms, seed=0)
    assert (control.values == rdms.values).all() and list(control["stimulus_row"].values) != list(rdms["stimulus_row"].values)
    assert list(control["stimulus_row"].values) == list(control["stimulus_col"].values)


def test_interval_distance():
    score = Score(raw=0.9, ci=(0.95, 0.99), ci_level=0.95, ceiling=1.0, convention="ratio")
    assert st.interval_distance(score, 1.0) == pytest.approx(0.01) and st.interval_distance(score, 0.97) == 0
    assert st.interval_distance(Score(raw=0.5), 1.0) == math.inf


@pytest.mark.slow
def test_selftest_passes_in_time_and_its_command_prints_the_table():
    report = st.run_selftest(seed=0)
    assert report.passed, [c for c in report.checks if not c.passed]
    assert len(report.checks) == 7 and report.seconds < 120
    assert {c.name for c in report.checks} >= {"neural: layer", "neural: ceiling", "neural: ceiled score",
                                                "neural: shuffled ids", "rsa: layer", "rsa: ceiled score"}


@pytest.mark.slow
def test_selftest_fails_when_the_pipeline_is_broken(monkeypatch):
    monkeypatch.setattr(st, "shuffled", lambda data, seed: data)  # a "control" that still matches the images
    result = CliRunner().invoke(app, ["selftest"])
    assert result.exit_code == 1
    assert "shuffled ids" in result.output and "FAIL" in result.output and "selftest failed" in result.output


def test_selftest_command_exit_codes(monkeypatch):
    def report(passed):
        checks = [st.Check("neural: layer", True, "stage3", "stage3 (or 2nd)"),
                  st.Check("rsa: ceiled score", passed, "0.5 [0.4, 0.6]", "1 in CI +-0.02")]
        return st.SelfTestReport(checks, 1.0, {"generating_layer": "stage3"})

    monkeypatch.setattr(st, "run_selftest", lambda seed=0: report(True))
    ok = CliRunner().invoke(app, ["selftest"])
    assert ok.exit_code == 0 and "selftest passed" in ok.output and "2/2 checks passed" in ok.output
    monkeypatch.setattr(st, "run_selftest", lambda seed=0: report(False))
    bad = CliRunner().invoke(app, ["selftest", "--seed", "3"])
    assert bad.exit_code == 1 and "FAIL" in bad.output and "rsa: ceiled score" in bad.output
