"""Benchmark: brainmark's I2n metric + ceiling vs the official brainscore-vision implementation.

Identical, objectome-sized synthetic inputs (24 objects x 10 images = 240 images, 300,000 match-to-sample trials
sampled from known per-image confusions) are written to netCDF; brainmark scores them in-process and the official
``I2n`` (brainscore-vision 2.4.2, metrics/i1i2) scores the same files in ``bench/.official-venv`` as a separate
process (bench/official_i2n.py). Both use the official false-alarm rule and the official 2 seeded split halves.

    .venv/bin/python bench/bench_behavioral.py [--trials 300000] [--repeats 3] [--no-official]

Prints a table of times (metric, ceiling), per-split values and the largest absolute difference.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr
from rich.console import Console
from rich.table import Table

from brainmark.metrics.behavioral import I2n, I2nCeiling
from brainmark.testing import simulate_i2n_observers

HERE = Path(__file__).resolve().parent
OFFICIAL_PYTHON = HERE / ".official-venv" / "bin" / "python"
sys.path.insert(0, str(HERE))
from official_venv import ensure_official_venv  # noqa: E402


def objectome_like(n_objects=24, images_per_object=10, n_trials=300_000, seed=2018):
    """Objectome-sized trials, and a model related to, but not identical with, the humans' confusions."""
    return simulate_i2n_observers(n_objects, images_per_object, n_trials, seed=seed, model_noise=1.0,
                                  object_prefix="object", image_prefix="image")


def time_brainmark(trials, model, repeats):
    metric, ceiling = I2n(fa_rule="official"), I2nCeiling(fa_rule="official")
    metric_times, ceiling_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        score = metric(model, trials)
        metric_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        ceil = ceiling(trials)
        ceiling_times.append(time.perf_counter() - start)
    return score, ceil, min(metric_times), min(ceiling_times)


def error_consistency_rows(tmp: Path, use_official: bool) -> list[list[str]]:
    """Error consistency on the real Geirhos2021 edge / silhouette trials, brainmark vs official.

    Ceiling = human-to-human kappa; "model" = subject-01's responses (no-answers replaced by the truth).
    """
    from brainmark.datasets import load_dataset
    from brainmark.metrics import load_ceiling, load_metric

    rows = []
    for dataset in ("edge", "silhouette"):
        trials = load_dataset(f"Geirhos2021.{dataset}")
        trials = trials.drop_vars([c for c in trials.coords if c not in ("stimulus_id", "truth", "subject", "condition")])
        one = trials[trials["subject"] == "subject-01"]
        labels = np.where(np.isin(one.values, np.unique(trials["truth"].values)), one.values, one["truth"].values)
        model = xr.DataArray(labels, dims="presentation",
                             coords={c: ("presentation", one[c].values) for c in ("stimulus_id", "truth", "condition")})
        start = time.perf_counter()
        ceiling = load_ceiling("error_consistency")(trials)
        score = load_metric("error_consistency")(model, trials)
        seconds = time.perf_counter() - start
        row = [dataset, f"{ceiling.raw:.6f}", f"{score.raw:.6f}", f"{seconds:.3f}"]
        if use_official:
            trials.to_netcdf(tmp / f"ec_{dataset}.nc")
            model.to_netcdf(tmp / f"ec_model_{dataset}.nc")
            subprocess.run([str(OFFICIAL_PYTHON), "-W", "ignore", str(HERE / "official_error_consistency.py"),
                            str(tmp / f"ec_{dataset}.nc"), str(tmp / f"ec_model_{dataset}.nc"),
                            str(tmp / f"ec_{dataset}.json")], check=True)
            official = json.loads((tmp / f"ec_{dataset}.json").read_text())
            row += [f"{official['ceiling']:.6f}", f"{official['score']:.6f}",
                    f"{official['ceiling_seconds'] + official['score_seconds']:.3f}",
                    f"{max(abs(official['ceiling'] - ceiling.raw), abs(official['score'] - score.raw)):.1e}"]
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-official", action="store_true")
    args = parser.parse_args()

    trials, model = objectome_like(n_trials=args.trials)
    score, ceil, t_metric, t_ceiling = time_brainmark(trials, model, args.repeats)
    table = Table(title=f"I2n, 240 images x 24 objects, {args.trials:,} trials (fa_rule=official, 2 splits)")
    for col in ("implementation", "metric s", "ceiling s", "split r_st", "split r_tt", "raw", "ceiling", "ceiled"):
        table.add_column(col, justify="right")
    table.add_row("brainmark", f"{t_metric:.3f}", f"{t_ceiling:.3f}",
                  " ".join(f"{v:.6f}" for v in score.values["split"]),
                  " ".join(f"{v:.6f}" for v in ceil.values["split"]),
                  f"{score.raw:.6f}", f"{score.ceiling:.6f}", f"{score.ceiled:.6f}")
    summary = []
    if not args.no_official and ensure_official_venv() is not None:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            trials.to_netcdf(tmp / "trials.nc")
            model.to_netcdf(tmp / "probabilities.nc")
            subprocess.run([str(OFFICIAL_PYTHON), "-W", "ignore", str(HERE / "official_i2n.py"), str(tmp / "trials.nc"),
                            str(tmp / "probabilities.nc"), str(tmp / "official.json"), "i2n"], check=True)
            official = json.loads((tmp / "official.json").read_text())["i2n"]
        table.add_row("brainscore-vision 2.4.2", f"{official['score_seconds']:.3f}", f"{official['ceiling_seconds']:.3f}",
                      " ".join(f"{v:.6f}" for v in official["split_scores"]),
                      " ".join(f"{v:.6f}" for v in official["split_ceilings"]),
                      f"{official['raw']:.6f}", f"{official['ceiling']:.6f}", f"{official['ceiled']:.6f}")
        diffs = np.abs(np.r_[score.values["split"] - official["split_scores"],
                             ceil.values["split"] - official["split_ceilings"],
                             score.ceiled - official["ceiled"]])
        speed_metric = official["score_seconds"] / t_metric
        speed_ceiling = official["ceiling_seconds"] / t_ceiling
        summary = [f"speed-up: metric {speed_metric:.0f}x, ceiling {speed_ceiling:.0f}x, "
                   f"together {(official['score_seconds'] + official['ceiling_seconds']) / (t_metric + t_ceiling):.0f}x",
                   f"max |difference| over split scores, split ceilings and ceiled score: {diffs.max():.2e}"]
    console = Console(width=200)
    console.print(table)
    for line in summary:
        console.print(line)
    if not summary:
        console.print("official venv not found (bench/.official-venv): brainmark timings only", style="yellow")

    use_official = not args.no_official and ensure_official_venv() is not None
    with tempfile.TemporaryDirectory() as tmp:
        rows = error_consistency_rows(Path(tmp), use_official)
    ec = Table(title="Error consistency on the real Geirhos2021 trials (ceiling = human-to-human kappa; "
                     "model = subject-01's responses)")
    for col in ("dataset", "brainmark ceiling", "brainmark score", "brainmark s") + (
            ("official ceiling", "official score", "official s", "max |diff|") if use_official else ()):
        ec.add_column(col, justify="right")
    for row in rows:
        ec.add_row(*row)
    console.print(ec)


if __name__ == "__main__":
    sys.exit(main())
