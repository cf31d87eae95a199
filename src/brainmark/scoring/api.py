"""Scoring: one model on one benchmark (:func:`score`) or on many, with composites (:func:`score_model`).

:func:`score_model` is also what the leaderboard's workers run per (model, benchmark) job: with any
executor the numbers are those of serial scoring, because each job is deterministic and self-contained
(it loads its own model instance) and results are put back in the order of the benchmark identifiers.
"""
from __future__ import annotations

import functools
import threading
import time
import traceback
from typing import Any, Sequence

from brainmark.benchmarks.base import Benchmark, benchmark_identifiers, load_benchmark
from brainmark.compute.local import Executor
from brainmark.progress import progress
from brainmark.scores import DEFAULT_CONVENTION, Score
from brainmark.scoring.composites import compute_composites
from brainmark.scoring.provenance import environment, model_info
from brainmark.scoring.results import BenchmarkResult, ResultsRecord


#: Model construction seeds torch's global RNG (untrained weights): one at a time, so that jobs running in
#: threads get exactly the weights serial scoring gets.
_LOAD_LOCK = threading.Lock()


def _load_model(model: Any, model_options: dict[str, Any] | None) -> Any:
    if isinstance(model, str):
        from brainmark.models import load_model

        with _LOAD_LOCK:
            return load_model(model, **(model_options or {}))
    return model


def _load_benchmark(benchmark: Any, convention: str | None) -> Benchmark:
    if isinstance(benchmark, str):
        options = {"convention": convention} if convention else {}
        return load_benchmark(benchmark, **options)
    return benchmark


def score(model: Any, benchmark: Any, *, convention: str | None = None,
          model_options: dict[str, Any] | None = None) -> Score:
    """Score ``model`` (an identifier or a BrainModel) on ``benchmark`` (an identifier or a Benchmark).

    ``convention`` picks the ceiling convention (``ratio``, ``squared-ratio``, ``explained-variance``) for
    benchmarks given by identifier; ``model_options`` are passed to ``load_model`` (e.g. ``untrained=True``).
    """
    return _load_benchmark(benchmark, convention)(_load_model(model, model_options))


def run_benchmark(model: Any, benchmark_identifier: str, *, convention: str = DEFAULT_CONVENTION,
                  errors: str = "raise") -> BenchmarkResult:
    """Score one benchmark and wrap it as a :class:`BenchmarkResult` (committed layer and wall time included).

    With ``errors="record"`` a failure becomes a NaN score whose ``meta["failed"]`` says why, so one broken
    benchmark does not lose the others.
    """
    start = time.perf_counter()
    version = 0
    try:
        benchmark = _load_benchmark(benchmark_identifier, convention)
        version = benchmark.version
        result = benchmark(model)
    except Exception as exc:
        if errors == "raise":
            raise
        result = Score(raw=float("nan"), meta={"benchmark": benchmark_identifier, "failed": f"{type(exc).__name__}: {exc}",
                                                "traceback": traceback.format_exc(limit=5)})
    layer = result.meta.get("layer")
    return BenchmarkResult(benchmark_identifier, int(result.meta.get("benchmark_version", version)), result,
                           layer=str(layer) if layer is not None else None,
                           seconds=round(time.perf_counter() - start, 3))


def _job(model_identifier: str, model_options: dict[str, Any] | None, convention: str, errors: str,
         benchmark_identifier: str) -> tuple[BenchmarkResult, dict[str, Any]]:
    """One self-contained (model, benchmark) job: loads its own model, so jobs can run anywhere."""
    model = _load_model(model_identifier, model_options)
    return run_benchmark(model, benchmark_identifier, convention=convention, errors=errors), model_info(model, model_options)


def score_model(model_identifier: str | Any, benchmark_identifiers: Sequence[str] | None = None, *,
                executor: Executor | None = None, model_options: dict[str, Any] | None = None,
                convention: str = DEFAULT_CONVENTION, errors: str = "raise") -> ResultsRecord:
    """Score a model on several benchmarks (default: every benchmark that needs no network) plus composites.

    Without an ``executor`` the model is loaded once and the benchmarks run one after another (sharing its
    activation cache). With one, each benchmark is an independent job (``executor.map``).
    """
    ids = list(benchmark_identifiers) if benchmark_identifiers else benchmark_identifiers_offline()
    if executor is None or not isinstance(model_identifier, str):
        model = _load_model(model_identifier, model_options)
        results = [run_benchmark(model, b, convention=convention, errors=errors)
                   for b in progress(ids, desc=f"benchmarks ({getattr(model, 'identifier', model)})", unit="benchmark")]
        info = model_info(model, model_options)
    else:
        job = functools.partial(_job, model_identifier, model_options, convention, errors)
        outputs = executor.map(job, ids)
        results = [r for r, _ in outputs]
        info = outputs[0][1] if outputs else {"identifier": model_identifier, "options": dict(model_options or {})}
    return ResultsRecord(model=info, scores=results, composites=compute_composites(results), environment=environment())


def benchmark_identifiers_offline() -> list[str]:
    """The benchmarks whose data is shipped or mirrored (the default set of :func:`score_model`)."""
    return benchmark_identifiers(offline_only=True)
