"""Issue 11 numbers for bench/RESULTS.md: cue conflict, similarity judgements and the ground-truth self-test.

    BRAINMARK_DATA_MIRROR=../shared/data python bench/bench_cue_conflict.py \
        [--texture-vs-shape PATH] [--rsatoolbox-python PATH] [--skip-models] [--skip-selftest]

1. Shape bias of the published decision files (rgeirhos/texture-vs-shape at ccd0c01d, ``raw-data/``: the humans and
   the four CNNs of Geirhos et al. 2019) through brainmark's ``shape_bias`` metric, read from a git clone of that
   repository (``--texture-vs-shape``; ``git show`` at the pinned commit, nothing is copied into brainmark).
2. The human data: shape bias uninstructed / shape-instructed / texture-instructed, the shape-bias agreement and
   error-consistency ceilings, the judgement RDM noise ceilings (and rsatoolbox 0.3.2's ``boot_noise_ceiling`` on
   the same RDMs, run by ``--rsatoolbox-python`` in its own venv).
3. Pretrained vs untrained (seeded) EfficientNet-Lite0 on the five new benchmarks (fresh ``BRAINMARK_HOME``),
   forward passes counted, and ``brainmark.compare`` on the two records (paired differences with intervals).
4. ``brainmark selftest`` (seed 0): its table and wall time.
Prints Markdown; the two records go to bench/out/.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

HERE = Path(__file__).resolve().parent
PINNED = "ccd0c01d"
PUBLISHED = {  # model -> decision file in rgeirhos/texture-vs-shape (Geirhos et al. 2019, Fig. 4)
    "humans (10 subjects)": "raw-data/style-transfer-512-nomask-experiment/style-transfer-512-nomask-experiment_subject-{:02d}_session_1.csv",
    "AlexNet": "raw-data/style-transfer-512-nomask-experiment/style-transfer-512-nomask-experiment_alexnet_session_1.csv",
    "GoogLeNet": "raw-data/style-transfer-512-nomask-experiment/style-transfer-512-nomask-experiment_googlenet_session_1.csv",
    "VGG-16": "raw-data/style-transfer-512-nomask-experiment/style-transfer-512-nomask-experiment_vgg_session_1.csv",
    "ResNet-50": "raw-data/style-transfer-512-nomask-experiment-trained-CNNs/style-transfer-512-nomask-experiment_resnet50_session-1.csv",
}
REFERENCE = {"humans (10 subjects)": 0.959, "AlexNet": 0.429, "GoogLeNet": 0.312, "VGG-16": 0.172, "ResNet-50": 0.221}
NEW = ["Geirhos2021cueconflict-error_consistency", "Geirhos2021cueconflict-shape_bias",
       "Hermann2020cueconflict-shape_bias", "Hermann2020cueconflict-shape_match", "Mur2013.judgements-rsa"]


def _decisions(table: pd.DataFrame) -> xr.DataArray:
    from brainmark.datasets.geirhos2021_cueconflict import classes_of, stimulus_id

    ids = [stimulus_id(n) for n in table["imagename"]]
    classes = [classes_of(s) for s in ids]
    return xr.DataArray(table["object_response"].astype(str).to_numpy(dtype=str), dims="presentation",
                        coords={"stimulus_id": ("presentation", ids), "shape": ("presentation", [s for s, _ in classes]),
                                "texture": ("presentation", [t for _, t in classes])})


def published_section(repo: Path | None) -> None:
    import brainmark

    print("\n### Published decision files through `shape_bias`\n")
    if repo is None or not (repo / "HEAD").exists() and not (repo / ".git").exists():
        print("(skipped: no --texture-vs-shape clone)")
        return
    metric = brainmark.load_metric("shape_bias")
    print(f"rgeirhos/texture-vs-shape at {PINNED}, read with `git show`:\n")
    print("| observer | trials | shape bias (brainmark) | published (REFERENCE.md §9) |\n|---|---|---|---|")
    for name, path in PUBLISHED.items():
        paths = [path.format(k) for k in range(1, 11)] if "{" in path else [path]
        text = [subprocess.run(["git", "-C", str(repo), "show", f"{PINNED}:{p}"], capture_output=True, text=True,
                               check=True).stdout for p in paths]
        table = pd.concat([pd.read_csv(io.StringIO(t), keep_default_na=False, dtype=str) for t in text])
        score = metric(_decisions(table))
        print(f"| {name} | {len(table)} | {score.raw:.3f} | {REFERENCE[name]:.3f} |")


def _rsatoolbox_ceiling(python: str | None, rdms: np.ndarray) -> tuple[float, float] | None:
    if not python:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "rdms.npy", rdms)
        out = subprocess.run([python, str(HERE / "rsatoolbox_ceiling.py"), str(Path(tmp) / "rdms.npy")],
                             capture_output=True, text=True)
    if out.returncode:
        print(f"(rsatoolbox failed: {out.stderr.strip()[-300:]})")
        return None
    lower, upper = json.loads(out.stdout)
    return lower, upper


def humans_section(rsatoolbox_python: str | None) -> None:
    import brainmark
    from brainmark.benchmarks import load_benchmark
    from brainmark.benchmarks.cue_conflict import human_range

    print("\n### Human data (shared/data)\n")
    ranges = human_range()
    print("| condition | shape bias (pooled) | per subject (min-max) |\n|---|---|---|")
    for condition, entry in ranges.items():
        values = list(entry["per_subject"].values())
        print(f"| {condition} instruction | {entry['shape_bias']:.4f} | {min(values):.3f}-{max(values):.3f} |")
    rows = []
    for identifier in ("Geirhos2021cueconflict-shape_bias", "Geirhos2021cueconflict-error_consistency"):
        ceiling = load_benchmark(identifier).ceiling
        rows.append((identifier, f"{ceiling.raw:.4f}", ceiling.meta.get("ceiling", "")))
    judgements = load_benchmark("Mur2013.judgements-rsa").ceiling
    theirs = _rsatoolbox_ceiling(rsatoolbox_python, brainmark.load_dataset("Kriegeskorte2008.judgements").values)
    note = f"rsatoolbox 0.3.2 boot_noise_ceiling: {theirs[0]:.6f} / {theirs[1]:.6f}" if theirs else "rsatoolbox not run"
    print("\n| ceiling | value | note |\n|---|---|---|")
    for identifier, value, what in rows:
        print(f"| {identifier} | {value} | {what} |")
    print(f"| Mur2013.judgements-rsa lower / upper (Spearman) | {judgements.raw:.6f} / {judgements.meta['upper']:.6f} | "
          f"{note} |")


def _score(untrained: bool) -> tuple[object, list, float]:
    import brainmark
    from brainmark.scoring import score_model

    model = brainmark.load_model("efficientnet-lite0", untrained=untrained)
    passes = []
    extract = model.extractor.extract
    model.extractor.extract = lambda stimuli, *a, **k: (passes.append(stimuli.identifier), extract(stimuli, *a, **k))[1]
    start = time.perf_counter()
    record = score_model(model, NEW)
    return record, passes, time.perf_counter() - start


def models_section() -> None:
    import brainmark

    print("\n### Pretrained vs untrained EfficientNet-Lite0\n")
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    records = {}
    for untrained in (False, True):
        record, passes, seconds = _score(untrained)
        name = "untrained" if untrained else "pretrained"
        record.save(out / f"cue_conflict_{name}.json")
        records[name] = record
        print(f"- {name}: {seconds:.0f} s, forward passes: {passes} (load {os.getloadavg()[0]:.1f})")
    print("\n| benchmark | ceiling | pretrained ceiled [95% CI] | untrained ceiled [95% CI] | layer (pre / untr.) |")
    print("|---|---|---|---|---|")
    for benchmark in NEW:
        a, b = records["pretrained"].score_for(benchmark), records["untrained"].score_for(benchmark)
        cells = [f"{r.score.ceiled:.3f} [{r.score.ci[0]:.3f}, {r.score.ci[1]:.3f}]" for r in (a, b)]
        print(f"| {benchmark} | {a.score.ceiling:.3f} | {cells[0]} | {cells[1]} | {a.layer} / {b.layer} |")
    for r in (records["pretrained"], records["untrained"]):
        meta = r.score_for("Geirhos2021cueconflict-shape_bias").score.meta
        print(f"\n{r.model_identifier}: shape bias {meta['model_shape_bias']:.3f} (humans {meta['human_shape_bias']:.3f}), "
              f"shape match {meta['model_shape_match']:.3f}, texture match {meta['model_texture_match']:.3f}, "
              f"cue-consistent decisions {meta['model_cue_decisions']:.3f} (humans {meta['human_cue_decisions']:.3f})")
    report = brainmark.compare([records["pretrained"], records["untrained"]])
    print("\n`brainmark.compare` (pretrained - untrained; Holm-adjusted p):\n")
    print("| benchmark / composite | difference [95% CI] | p (adjusted) |\n|---|---|---|")
    for c in report.comparisons:
        print(f"| {c.benchmark} | {c.difference:+.3f} [{c.ci[0]:+.3f}, {c.ci[1]:+.3f}] | {c.p_adjusted:.3f} |")


def selftest_section() -> None:
    from brainmark.selftest import run_selftest

    print("\n### `brainmark selftest` (seed 0)\n")
    load = os.getloadavg()[0]
    report = run_selftest(0)
    print("| check | result | value | expected |\n|---|---|---|---|")
    for c in report.checks:
        print(f"| {c.name} | {'pass' if c.passed else 'FAIL'} | {c.value} | {c.expected} |")
    print(f"\n{sum(c.passed for c in report.checks)}/{len(report.checks)} passed in {report.seconds:.0f} s "
          f"(load {load:.1f} at start, {os.getloadavg()[0]:.1f} at end)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texture-vs-shape", type=Path, default=None)
    parser.add_argument("--rsatoolbox-python", default=None)
    parser.add_argument("--skip-models", action="store_true")
    parser.add_argument("--skip-selftest", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("BRAINMARK_PROGRESS", "0")
    os.environ["BRAINMARK_HOME"] = tempfile.mkdtemp(prefix="brainmark-bench-home-")
    print(f"load average at start: {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M')}")
    published_section(args.texture_vs_shape)
    humans_section(args.rsatoolbox_python)
    if not args.skip_models:
        models_section()
    if not args.skip_selftest:
        selftest_section()


if __name__ == "__main__":
    sys.exit(main())
