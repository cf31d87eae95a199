"""The ground-truth self-test (``brainmark selftest``): the whole pipeline recovers a known answer on this machine.

A seeded random CNN (:class:`SelfTestNet`) looks at the real images shipped with brainmark (Kriegeskorte 2008,
Coggan 2024, Geirhos 2021 edge and silhouette, the ImageNet samples: 456 images). Simulated brains with a known
answer are written to files and scored through the bring-your-own-data path
(:func:`brainmark.benchmarks.custom.custom_benchmark`), exactly as a user's recordings would be:

- **neural** (PLS): 40 units, each a seeded random linear mix of the first 10 principal components of one known
  layer's activations (:data:`GENERATING_LAYER`; a linear map of them), standardised, plus Gaussian trial noise on
  4 repetitions, its variance chosen so that the reliability of the repetition mean is :data:`RELIABILITY`. Scored under the ``explained-variance`` convention
  (r^2 / c), on which a model that predicts the signal exactly scores 1 (under ``ratio`` it would score
  1 / sqrt(reliability)).
- **rsa**: 16 subjects, each with 100 units mixing the same layer's activations centred per stimulus (so that their
  correlation-distance RDM approximates the layer's), their own trial noise, one RDM per subject from the repetition
  means, on a seeded sample of 160 of the images. Scored with the default ``ratio`` convention against the RDM
  noise ceiling (Spearman).
- **control**: the same data with the stimulus ids shuffled (seeded): nothing is left to predict.

Checks: the committed layer is the generating one or the runner-up of the selection table; the neural ceiling is
within :data:`CEILING_TOLERANCE` of the simulated reliability; 1 lies within each ceiled score's 95 % bootstrap
interval and 0 within each control's, up to :data:`INTERVAL_TOLERANCE` (the bootstrap resamples stimuli and units
without refitting, so it cannot show the small finite-sample bias of cross-validated regression on ~200 stimuli or
of the lower-bound RDM ceiling; measured at 0.01-0.02 here). Everything runs in a fresh temporary
``$BRAINMARK_HOME`` (nothing is read from or left in your caches).
"""
from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import xarray as xr

GENERATING_LAYER = "stage3"
LAYERS = ("stage1", "stage2", "stage3", "stage4")
RELIABILITY = 0.9
REPETITIONS = 4
NEURAL_UNITS = 40
NEURAL_COMPONENTS = 10
RSA_STIMULI = 160
RSA_SUBJECTS, RSA_UNITS = 16, 100
CEILING_TOLERANCE = 0.03
#: how far a bootstrap interval may miss its target: the finite-sample bias that resampling without refitting
#: cannot show (cross-validated regression on ~200 stimuli, the lower-bound RDM ceiling), measured at ~0.01-0.02
INTERVAL_TOLERANCE = 0.02
INPUT_SIZE = 64
#: the shipped stimulus sets the simulated brains see
STIMULUS_SETS = ("Kriegeskorte2008", "Coggan2024", "Geirhos2021.edge", "Geirhos2021.silhouette", "ImageNetSamples")


@dataclass(frozen=True)
class Check:
    """One pass/fail line of the self-test."""

    name: str
    passed: bool
    value: str
    expected: str


@dataclass
class SelfTestReport:
    """The checks, how long they took, and what was simulated (seed, sizes)."""

    checks: list[Check] = field(default_factory=list)
    seconds: float = math.nan
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)


def selftest_network(seed: int = 0) -> Any:
    """The seeded random CNN the simulated brains are built from (4 stages, 64-pixel input)."""
    import torch
    from torch import nn

    class SelfTestNet(nn.Module):
        """Four conv stages (ReLU); small layers so that no feature reduction is needed."""

        def __init__(self) -> None:
            super().__init__()
            self.stage1 = nn.Sequential(nn.Conv2d(3, 16, 5, stride=2), nn.ReLU(), nn.MaxPool2d(2))
            self.stage2 = nn.Sequential(nn.Conv2d(16, 32, 3, stride=2), nn.ReLU())
            self.stage3 = nn.Sequential(nn.Conv2d(32, 64, 3, stride=2), nn.ReLU())
            self.stage4 = nn.Sequential(nn.Conv2d(64, 128, 3, stride=2), nn.ReLU(), nn.Flatten())

        def forward(self, x: "torch.Tensor") -> "torch.Tensor":
            return self.stage4(self.stage3(self.stage2(self.stage1(x))))

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return SelfTestNet().eval()


def selftest_model(seed: int = 0) -> Any:
    """The network as a brainmark model (candidate layers :data:`LAYERS`)."""
    from brainmark.models import ModelSpec, Preprocessing, load_model

    spec = ModelSpec(selftest_network(seed), layers=list(LAYERS), preprocessing=Preprocessing(INPUT_SIZE),
                     identifier=f"brainmark-selftest-cnn-seed{seed}", metadata={"family": "selftest"})
    return load_model(spec, workers=1)


def write_stimuli(folder: Path) -> Path:
    """A stimuli CSV (``stimulus_id``, ``image_path``) of the shipped images, as a user would write one."""
    from brainmark.datasets import load_stimulus_set

    rows = []
    for name in STIMULUS_SETS:
        stimuli = load_stimulus_set(name)
        rows += [{"stimulus_id": f"{name}:{sid}", "image_path": path}
                 for sid, path in zip(stimuli.stimulus_ids, stimuli.image_paths)]
    path = folder / "stimuli.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _noisy(signal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Repetitions of ``signal`` (stimuli x units) plus noise whose variance gives the repetition mean the
    reliability :data:`RELIABILITY` (for a unit of average signal variance across stimuli)."""
    sd = math.sqrt(REPETITIONS * (1 - RELIABILITY) / RELIABILITY * float(signal.var(axis=0).mean()))
    return signal[:, :, None] + sd * rng.standard_normal((*signal.shape, REPETITIONS))


def principal_scores(features: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` principal-component scores of ``features`` (stimuli x features): a linear map of them."""
    centred = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:k].T


def simulate_recordings(features: np.ndarray, ids: list[str], seed: int) -> xr.DataArray:
    """``presentation x neuroid x repetition``: random mixes of the layer's first principal components (a linear
    map of ``features``), each unit standardised, with trial noise of the reliability :data:`RELIABILITY`."""
    from brainmark.data import make_assembly

    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    signal = principal_scores(features, NEURAL_COMPONENTS) @ rng.standard_normal((NEURAL_COMPONENTS, NEURAL_UNITS))
    signal = (signal - signal.mean(axis=0)) / signal.std(axis=0)
    return make_assembly(_noisy(signal, rng), ids, region="IT", extra_dims=["repetition"])


def simulate_matrices(features: np.ndarray, ids: list[str], seed: int) -> xr.DataArray:
    """``subject x stimulus_row x stimulus_col``: each subject's RDM of noisy mixes of the centred ``features``."""
    from brainmark.data import make_assembly
    from brainmark.datasets._common import matrices
    from brainmark.metrics.neural import rdm

    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    keep = np.sort(rng.choice(len(ids), min(RSA_STIMULI, len(ids)), replace=False))
    features, ids = features[keep], [ids[i] for i in keep]
    centred = features - features.mean(axis=1, keepdims=True)  # per stimulus: correlation RDM ~ the layer's
    rdms = []
    for _ in range(RSA_SUBJECTS):
        responses = _noisy(centred @ rng.standard_normal((features.shape[1], RSA_UNITS)), rng).mean(axis=2)
        rdms.append(rdm(make_assembly(responses, ids)).values)
    return matrices(np.stack(rdms), ids, kind="dissimilarity", symmetric=True,
                    leading={"subject": [f"sim{s + 1}" for s in range(RSA_SUBJECTS)]})


def shuffled(data: xr.DataArray, seed: int) -> xr.DataArray:
    """The control: the same data with its stimulus ids permuted (seeded)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    if "stimulus_id" in data.coords:
        return data.assign_coords(stimulus_id=("presentation", rng.permutation(data["stimulus_id"].values)))
    order = rng.permutation(data.sizes["stimulus_row"])
    ids = data["stimulus_row"].values[order]
    return data.assign_coords(stimulus_row=ids, stimulus_col=ids)


@contextlib.contextmanager
def fresh_home() -> Iterator[Path]:
    """A temporary ``$BRAINMARK_HOME`` (and empty in-process caches) for the duration of the self-test."""
    from brainmark.benchmarks import ceilings
    from brainmark.data import registry

    previous = os.environ.get("BRAINMARK_HOME")
    with tempfile.TemporaryDirectory(prefix="brainmark-selftest-") as home:
        os.environ["BRAINMARK_HOME"] = home
        ceilings.clear_memory_cache()
        registry.clear_memory_cache()
        try:
            yield Path(home)
        finally:
            if previous is None:
                os.environ.pop("BRAINMARK_HOME", None)
            else:
                os.environ["BRAINMARK_HOME"] = previous
            ceilings.clear_memory_cache()
            registry.clear_memory_cache()


def _fmt_ci(score: Any) -> str:
    low, high = score.ci if score.ci is not None else (math.nan, math.nan)
    return f"{score.ceiled:.3f} [{low:.3f}, {high:.3f}]"


def interval_distance(score: Any, target: float) -> float:
    """How far ``target`` lies outside the score's interval (0 inside it; inf without an interval)."""
    if score.ci is None or not all(math.isfinite(v) for v in score.ci):
        return math.inf
    return max(0.0, score.ci[0] - target, target - score.ci[1])


def _near(name: str, score: Any, target: float) -> Check:
    distance = interval_distance(score, target)
    return Check(name, distance <= INTERVAL_TOLERANCE, _fmt_ci(score),
                 f"{target:g} in CI +-{INTERVAL_TOLERANCE}")


def _layer_check(kind: str, score: Any) -> Check:
    table = dict(score.meta.get("layer_scores") or {})
    ranked = sorted(table, key=lambda k: -float(table[k]))
    committed = str(score.meta.get("layer"))
    passed = committed == GENERATING_LAYER or GENERATING_LAYER in ranked[:2]
    rank = ranked.index(GENERATING_LAYER) + 1 if GENERATING_LAYER in ranked else None
    value = committed + ("" if committed == GENERATING_LAYER else f" (generating layer ranked {rank})")
    return Check(f"{kind}: layer", passed, value, f"{GENERATING_LAYER} (or 2nd)")


def _score_checks(kind: str, score: Any, control: Any) -> list[Check]:
    checks = [_layer_check(kind, score), _near(f"{kind}: ceiled score", score, 1.0)]
    if kind == "neural":
        ceiling = float(score.ceiling)
        checks.insert(1, Check("neural: ceiling", abs(ceiling - RELIABILITY) <= CEILING_TOLERANCE, f"{ceiling:.3f}",
                               f"{RELIABILITY} +-{CEILING_TOLERANCE}"))
    checks.append(_near(f"{kind}: shuffled ids", control, 0.0))
    return checks


def _run(folder: Path, seed: int) -> list[Check]:
    from brainmark.benchmarks.custom import custom_benchmark, load_stimuli_csv

    stimuli_csv = write_stimuli(folder)
    stimuli = load_stimuli_csv(stimuli_csv, 8.0)
    model = selftest_model(seed)
    features = np.asarray(model.layer_activations(stimuli, [GENERATING_LAYER])[GENERATING_LAYER].values, dtype=float)
    ids = stimuli.stimulus_ids
    checks: list[Check] = []
    for kind, data, metric, convention in (
            ("neural", simulate_recordings(features, ids, seed), "pls", "explained-variance"),
            ("rsa", simulate_matrices(features, ids, seed), "rsa", "ratio")):
        scores = []
        for name, variant in ((kind, data), (f"{kind}-control", shuffled(data, seed))):
            path = folder / f"{name}.nc"
            variant.assign_attrs({k: int(v) for k, v in variant.attrs.items() if isinstance(v, bool)}).to_netcdf(path)
            benchmark = custom_benchmark(path, stimuli_csv, metric=metric, convention=convention,
                                         identifier=f"selftest.{name}")
            scores.append(benchmark(selftest_model(seed)))
        checks += _score_checks(kind, *scores)
    return checks


def run_selftest(seed: int = 0) -> SelfTestReport:
    """Simulate, score and check (see the module docstring); returns the report (``report.passed``)."""
    start = time.perf_counter()
    with fresh_home() as home:
        checks = _run(home, seed)
    settings = {"seed": seed, "generating_layer": GENERATING_LAYER, "reliability": RELIABILITY,
                "repetitions": REPETITIONS, "neural_units": NEURAL_UNITS, "rsa_subjects": RSA_SUBJECTS,
                "rsa_units": RSA_UNITS, "stimulus_sets": list(STIMULUS_SETS)}
    return SelfTestReport(checks, time.perf_counter() - start, settings)
