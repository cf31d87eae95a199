"""Confidence intervals of benchmark scores: what :meth:`Benchmark.__call__` adds to every score.

The score's computation and the ceiling's are resampled together (stimuli and target units, the same draws for
both; :func:`brainmark.stats.bootstrap.bootstrap_ceiled`); the score keeps the interval (``ci``, ``ci_level``),
the replicates of its ceiled value (``values["bootstrap"]``, dim ``resample``: what paired comparisons and composite
intervals need), the ceiled scores on seeded halves of the stimuli (``values["split_half"]``: what benchmark
reliability needs) and the scheme (``meta["bootstrap"]``).
"""
from __future__ import annotations

import math
from typing import Any

import xarray as xr

from brainmark.scores import Score, per_unit


def add_interval(score: Score, resampler: Any, ceiling_resampler: Any, convention: str | None,
                 scheme: Any) -> Score:
    """``score`` with its bootstrap interval (unchanged, with the reason recorded, when none can be computed)."""
    from brainmark.stats.bootstrap import bootstrap_ceiled, split_half_scores

    if scheme is None:
        return score.with_meta(bootstrap={"skipped": "intervals turned off (bootstrap=None)"})
    if resampler is None:
        return score.with_meta(bootstrap={"skipped": "the metric does not expose a resampler (no compute())"})
    if not math.isfinite(score.ceiled if convention else score.raw):
        return score.with_meta(bootstrap={"skipped": "the score is not finite"})
    options = {"ceiling_value": score.ceiling, "convention": convention}
    result = bootstrap_ceiled(resampler, ceiling_resampler, scheme=scheme, **options)
    halves = split_half_scores(resampler, ceiling_resampler, seed=scheme.seed, **options)
    record = {**result.record, "split_half": {"n_halvings": int(halves.shape[0]), "seed": int(scheme.seed),
                                              "what": "ceiled score on each half of a seeded halving of the stimuli"}}
    return (score.with_ci(*result.interval, result.level)
            .with_values(bootstrap=per_unit(result.replicates, "resample"),
                         split_half=xr.DataArray(halves, dims=("halving", "half")))
            .with_meta(bootstrap=record))
