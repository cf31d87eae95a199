"""Statistics benchmarks (issue 10), each printed as a markdown table for bench/RESULTS.md.

1. RSA bootstrap speed against rsatoolbox 0.3.2 (its own venv, bench/.rsatoolbox-venv) on the same RDMs: the 92-image
   human IT subject RDMs (sessions averaged) against the monkey IT RDM as a fixed model, Spearman, 1,000 resamples of
   the stimuli with the noise ceiling recomputed on each (rsatoolbox's ``eval_bootstrap_pattern`` defaults).
2. What all intervals cost: a cold ``score_model("efficientnet-lite0")`` on every offline benchmark (a fresh
   BRAINMARK_HOME), with the time spent computing intervals measured inside the same run.
3. Pretrained vs untrained EfficientNet-Lite0 on every offline benchmark: paired difference, interval, Holm-adjusted p.

    python bench/bench_statistics.py [--skip-rsatoolbox] [--skip-models] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from side_venvs import ensure_venv  # noqa: E402


def _rsa_inputs():
    from brainmark.datasets import load_dataset
    from brainmark.metrics.neural.rsa import _offdiag_index, subject_matrices

    subjects = load_dataset("Kriegeskorte2008.humanIT.subjects")
    mats, _, _ = subject_matrices(subjects)
    monkey = load_dataset("Kriegeskorte2008.monkeyIT").sel(stimulus_row=subjects["stimulus_row"].values,
                                                           stimulus_col=subjects["stimulus_row"].values)
    return subjects, mats, np.asarray(monkey.values, dtype=float), _offdiag_index


def _brainmark_rsa(repeat: int) -> dict:
    from threadpoolctl import threadpool_limits

    from brainmark.metrics import load_ceiling
    from brainmark.metrics.neural.rsa_resampling import RDMCeilingResampler, RSAResampler
    from brainmark.stats.bootstrap import BootstrapScheme, _Evaluator, bootstrap_ceiled, draw_counts

    subjects, mats, model, offdiag = _rsa_inputs()
    rows, cols = offdiag(mats.shape[-1], True)
    ids = [str(s) for s in subjects["stimulus_row"].values]
    names = [f"s{i}" for i in range(len(mats))]
    score = RSAResampler(model[rows, cols], mats[:, rows, cols], "spearman", rows, cols, ids, names)
    ceiling = RDMCeilingResampler(mats[:, rows, cols], "spearman", rows, cols, ids, names)
    scheme = BootstrapScheme(1000)
    c = load_ceiling("rsa").compute(subjects).score.raw
    evaluate = _Evaluator(score, ceiling, c, "ratio")  # the benchmark's own evaluation path
    block = score.block_rows
    stimulus_only, dual = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        with threadpool_limits(1, user_api="blas"):  # stimuli resampled (subjects kept), score and ceiling
            for s, u in draw_counts(len(ids), len(names), scheme):
                for i in range(0, len(s), block):
                    evaluate(s[i:i + block], np.ones_like(u[i:i + block]))
        stimulus_only.append(time.perf_counter() - start)
        start = time.perf_counter()
        point = float(score.resample(np.ones((1, len(ids))), np.ones((1, len(names))))[0]) / c
        bootstrap_ceiled(score, ceiling, point=point, ceiling_value=c, convention="ratio", scheme=scheme)
        dual.append(time.perf_counter() - start)
    with threadpool_limits(1, user_api="blas"):  # the raw model evaluations, for the agreement columns
        values = np.concatenate([score.resample(s, np.ones_like(u))
                                 for s, u in draw_counts(len(ids), len(names), scheme)])
    return {"stimulus_only": stimulus_only, "dual": dual, "sd": float(np.nanstd(values)),
            "mean": float(np.nanmean(values)), "inputs": (mats, model)}


def _rsatoolbox_rsa(mats: np.ndarray, model: np.ndarray) -> dict | None:
    python = ensure_venv("rsatoolbox")
    if python is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "rdms.npz", subjects=mats, model=model)
        subprocess.run([str(python), str(HERE / "rsatoolbox_bootstrap.py"), str(Path(tmp) / "rdms.npz"),
                        str(Path(tmp) / "out.json")], check=True)
        return json.loads((Path(tmp) / "out.json").read_text())


def rsa_section(repeat: int, skip_rsatoolbox: bool) -> None:
    ours = _brainmark_rsa(repeat)
    theirs = None if skip_rsatoolbox else _rsatoolbox_rsa(*ours["inputs"])
    print("\n### RSA bootstrap: 1,000 stimulus resamples, human IT (4 subjects, 92 images), Spearman, ceiling resampled\n")
    print("| implementation | min s | median s | mean eval | sd of evals |\n|---|---|---|---|---|")
    s = sorted(ours["stimulus_only"])
    print(f"| brainmark, stimuli only (as eval_bootstrap_pattern) | {s[0]:.2f} | {s[len(s) // 2]:.2f} | "
          f"{ours['mean']:.4f} | {ours['sd']:.4f} |")
    d = sorted(ours["dual"])
    print(f"| brainmark, the benchmark's corrected dual bootstrap (3 x 1,000 evaluations) | {d[0]:.2f} | "
          f"{d[len(d) // 2]:.2f} | | |")
    if theirs:
        print(f"| rsatoolbox 0.3.2 eval_bootstrap_pattern | {theirs['seconds']:.2f} | {theirs['seconds']:.2f} | "
              f"{theirs['mean']:.4f} | {theirs['sd']:.4f} |")
        print(f"\nspeed-up (stimuli only, median): {theirs['seconds'] / s[len(s) // 2]:.1f}x")


def _timed_score(model: str, options: dict) -> tuple:
    from brainmark.benchmarks import intervals
    from brainmark.scoring import score_model

    spent: list[float] = []
    original = intervals.add_interval

    def timed(*args, **kwargs):
        start = time.perf_counter()
        out = original(*args, **kwargs)
        spent.append(time.perf_counter() - start)
        return out

    intervals.add_interval = timed
    try:
        start = time.perf_counter()
        record = score_model(model, model_options=options)
        total = time.perf_counter() - start
    finally:
        intervals.add_interval = original
    return record, total, sum(spent)


def models_section(folder: Path) -> None:
    import brainmark

    os.environ["BRAINMARK_HOME"] = tempfile.mkdtemp(prefix="bm-bench-home-")
    records, rows = [], []
    for options in ({}, {"untrained": True}):
        record, total, intervals_s = _timed_score("efficientnet-lite0", options)
        record.save(folder / f"{record.model_identifier}.json")
        records.append(record)
        rows.append((record.model_identifier, total, intervals_s))
    print(f"\n### Cost of the intervals inside a cold score (fresh BRAINMARK_HOME, {len(records[0].scores)} offline "
          "benchmarks)\n")
    print("| model | cold score s | of which intervals s | share |\n|---|---|---|---|")
    for name, total, spent in rows:
        print(f"| {name} | {total:.1f} | {spent:.1f} | {100 * spent / total:.1f} % |")
    report = brainmark.compare(records)
    print("\n### Pretrained vs untrained EfficientNet-Lite0 (difference = pretrained - untrained)\n")
    print("| benchmark | difference | 95 % CI | p | p (Holm) |\n|---|---|---|---|---|")
    for c in report.comparisons:
        print(f"| {c.benchmark} | {c.difference:+.3f} | [{c.ci[0]:+.3f}, {c.ci[1]:+.3f}] | {c.p:.4f} | {c.p_adjusted:.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-rsatoolbox", action="store_true")
    parser.add_argument("--skip-models", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "out" / "statistics")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d')}")
    rsa_section(args.repeat, args.skip_rsatoolbox)
    if not args.skip_models:
        models_section(args.output)


if __name__ == "__main__":
    main()
