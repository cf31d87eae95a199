"""The bootstrap of a benchmark score: stimuli and units resampled jointly, the ceiling recomputed on each resample.

A metric's computation exposes a :class:`Resampler`: the ids of its stimuli and of its target units (neuroids,
subjects or trials) and ``resample(stimulus_counts, unit_counts) -> statistic per resample``, computed from what
the metric kept (held-out predictions, RDM entries, trial-wise correctness...) with the counts as weights, never
by refitting. :func:`bootstrap_ceiled` draws the counts (seeded, in fixed chunks, so the same seed gives the same
resamples on every machine), evaluates the score's and the ceiling's resamplers on the *same* draws (aligned by
id), applies the ceiling convention per resample and returns the replicates of the ceiled value with their
percentile interval. Two scores of the same benchmark data share their draws (the same :func:`resampling_key`),
which is what makes paired comparisons of models possible from results files alone.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from threadpoolctl import threadpool_limits

from brainmark._json import canonical_hash
from brainmark.scores import apply_ceiling

SCHEME = "brainmark.bootstrap/1"
DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
DEFAULT_SEED = 0
N_HALVINGS = 10
_CHUNK_CELLS = 2_000_000  # stimuli x units x resamples per chunk stays near this (memory), chunking is seeded too


@runtime_checkable
class Resampler(Protocol):
    """What a metric's computation offers the bootstrap (see the module docstring).

    A resampler may also set ``block_rows``: how many resamples it prefers per call (memory, cache); the draws do
    not depend on it.
    """

    stimulus_ids: Sequence[str]
    unit_ids: Sequence[str]
    unit_kind: str
    description: str

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The statistic under each resample: counts (B x n_stimuli), (B x n_units) -> (B,)."""


@dataclass(frozen=True)
class BootstrapScheme:
    """How many resamples, at what interval level, from which seed."""

    n_resamples: int = DEFAULT_RESAMPLES
    level: float = DEFAULT_LEVEL
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        if isinstance(self.n_resamples, bool) or int(self.n_resamples) < 10:
            raise ValueError(f"n_resamples must be an integer >= 10, got {self.n_resamples!r}")
        if not 0 < float(self.level) < 1:
            raise ValueError(f"the interval level must be in (0, 1), got {self.level!r}")
        if int(self.seed) < 0:
            raise ValueError(f"the bootstrap seed must be >= 0, got {self.seed!r}")


def chunk_size(n_stimuli: int, n_units: int) -> int:
    """Resamples per chunk: a function of the data size only, so the draws never depend on the machine."""
    return int(max(1, min(100, _CHUNK_CELLS // max(1, n_stimuli + n_units))))


def _row_counts(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    """``rows`` resamples of ``n`` items with replacement, as counts (rows x n)."""
    if n == 0:
        return np.zeros((rows, 0), dtype=np.int64)
    draws = rng.integers(0, n, size=(rows, n)) + (np.arange(rows) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=rows * n).reshape(rows, n)


def draw_counts(n_stimuli: int, n_units: int, scheme: BootstrapScheme) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks of (stimulus counts, unit counts): stimuli and units from two independent seeded streams."""
    streams = [np.random.default_rng(np.random.SeedSequence([int(scheme.seed), k])) for k in (0, 1)]
    chunk = chunk_size(n_stimuli, n_units)
    for start in range(0, int(scheme.n_resamples), chunk):
        rows = min(chunk, int(scheme.n_resamples) - start)
        yield _row_counts(streams[0], rows, n_stimuli), _row_counts(streams[1], rows, n_units)


def resampling_key(resampler: Resampler, scheme: BootstrapScheme) -> str:
    """Identifies the draws: equal keys mean the b-th resample picked the same stimuli and units."""
    return canonical_hash({
        "scheme": SCHEME, "seed": int(scheme.seed), "n_resamples": int(scheme.n_resamples),
        "stimuli": canonical_hash(list(map(str, resampler.stimulus_ids))),
        "units": canonical_hash(list(map(str, resampler.unit_ids))), "unit_kind": resampler.unit_kind,
    }, 32)


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    """The percentile interval of the finite replicates (NaN, NaN when fewer than half are finite)."""
    finite = np.asarray(replicates, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size < max(2, np.size(replicates) // 2):
        return math.nan, math.nan
    low, high = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


def _aligned(ids: Sequence[str], reference: Sequence[str], what: str) -> np.ndarray:
    """Column index into ``reference`` order for each id of ``ids`` (the ceiling's order)."""
    position = {str(s): i for i, s in enumerate(reference)}
    missing = [s for s in ids if str(s) not in position]
    if missing or len(ids) != len(reference):
        raise ValueError(f"the ceiling's {what} are not the score's (e.g. {missing[:3]}); the bootstrap needs both "
                         "computed on the same stimuli and units")
    return np.asarray([position[str(s)] for s in ids])


@dataclass(frozen=True)
class BootstrapResult:
    """Replicates of the ceiled value under joint, stimulus-only and unit-only resamples (the same draws), the
    corrected percentile interval, and the provenance record."""

    replicates: np.ndarray  # joint resamples of stimuli and units
    stimulus_replicates: np.ndarray  # stimuli resampled, units as they are
    unit_replicates: np.ndarray  # units resampled, stimuli as they are
    interval: tuple[float, float]
    level: float
    record: dict[str, Any] = field(default_factory=dict)


class _Evaluator:
    """Evaluates score and ceiling resamplers on the same counts, and applies the convention."""

    def __init__(self, score: Resampler, ceiling: Resampler | None, ceiling_value: float,
                 convention: str | None) -> None:
        self.score, self.ceiling, self.ceiling_value, self.convention = score, ceiling, ceiling_value, convention
        if ceiling is not None:
            self.stimulus_map = _aligned(ceiling.stimulus_ids, score.stimulus_ids, "stimuli")
            self.unit_map = _aligned(ceiling.unit_ids, score.unit_ids, "units")

    def __call__(self, stimuli: np.ndarray, units: np.ndarray) -> np.ndarray:
        raw = np.asarray(self.score.resample(stimuli, units), dtype=float)
        if self.convention is None:  # the statistic is already ceiled (e.g. I2n's split-wise rule) or not ceiled
            return raw
        if self.ceiling is None:
            ceiling = np.full(raw.shape, self.ceiling_value)
        else:
            ceiling = np.asarray(self.ceiling.resample(stimuli[:, self.stimulus_map], units[:, self.unit_map]))
        return apply_ceiling(raw, ceiling, self.convention)

    def three_ways(self, stimuli: np.ndarray, units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(joint, stimulus-only, unit-only) values of one chunk of draws, in blocks of the resamplers' size."""
        b = stimuli.shape[0]
        all_stimuli = np.concatenate([stimuli, stimuli, np.ones_like(stimuli)])
        all_units = np.concatenate([units, np.ones_like(units), units])
        block = int(min(getattr(r, "block_rows", b) for r in (self.score, self.ceiling) if r is not None)) or b
        values = np.concatenate([self(all_stimuli[i:i + block], all_units[i:i + block])
                                 for i in range(0, 3 * b, block)])
        return values[:b], values[b:2 * b], values[2 * b:]


def bootstrap_ceiled(score: Resampler, ceiling: Resampler | None = None, *, point: float = math.nan,
                     ceiling_value: float = math.nan, convention: str | None = None,
                     scheme: BootstrapScheme = BootstrapScheme()) -> BootstrapResult:
    """Bootstrap the ceiled score: ``ceiling`` resampled with it (or the fixed ``ceiling_value`` when None).

    ``point`` is the ceiled value itself (the replicates are rescaled about it by the dual-bootstrap correction,
    :mod:`brainmark.stats.correction`). ``convention=None`` means the score's statistic is final as it is.
    """
    from brainmark.stats.correction import rescaled

    evaluate = _Evaluator(score, ceiling, ceiling_value, convention)
    n, q = len(score.stimulus_ids), len(score.unit_ids)
    with threadpool_limits(1, user_api="blas"):  # many small products: BLAS threads only add synchronisation
        parts = [evaluate.three_ways(s, u) for s, u in draw_counts(n, q, scheme)]
    joint, stimuli, units = (np.concatenate([p[k] for p in parts]) for k in range(3))
    interval = percentile_interval(rescaled(point, joint, stimuli, units, n, q), scheme.level)
    record = {
        "scheme": SCHEME, "method": "percentile, dual-bootstrap corrected (Schütt et al. 2023)",
        "n_resamples": int(scheme.n_resamples), "level": float(scheme.level), "seed": int(scheme.seed),
        "key": resampling_key(score, scheme), "resampled": {"stimuli": n, score.unit_kind: q},
        "what": score.description + (f"; ceiling: {ceiling.description}" if ceiling is not None else ""),
        "ceiling_resampled": ceiling is not None, "finite_replicates": int(np.isfinite(joint).sum()),
    }
    return BootstrapResult(joint, stimuli, units, interval, float(scheme.level), record)


def split_half_scores(score: Resampler, ceiling: Resampler | None = None, *, ceiling_value: float = math.nan,
                      convention: str | None = None, n_halvings: int = N_HALVINGS,
                      seed: int = DEFAULT_SEED) -> np.ndarray:
    """Ceiled scores on two halves of the stimuli, for ``n_halvings`` seeded halvings: (n_halvings x 2).

    Across models, the correlation of the first-half and second-half scores measures how reliably a benchmark
    orders models (:func:`brainmark.stats.ranking.benchmark_reliability`).
    """
    evaluate = _Evaluator(score, ceiling, ceiling_value, convention)
    n, q = len(score.stimulus_ids), len(score.unit_ids)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2]))
    with threadpool_limits(1, user_api="blas"):
        return np.asarray([_halves(evaluate, rng.permutation(n), n, q) for _ in range(int(n_halvings))], dtype=float)


def _halves(evaluate: "_Evaluator", order: np.ndarray, n: int, q: int) -> np.ndarray:
    """The values on both halves of one halving (``order``: a permutation of the stimuli)."""
    halves = np.zeros((2, n), dtype=np.int64)
    halves[0, order[: n // 2]] = 1
    halves[1, order[n // 2:]] = 1
    return evaluate(halves, np.ones((2, q), dtype=np.int64))

