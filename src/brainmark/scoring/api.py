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
from brainmark.errors import BrainmarkError
from brainmark.progress import progress
from brainmark.scores import DEFAULT_CONVENTION, Score
from brainmark.scoring.composites import compute_composites
from brainmark.scoring.provenance import environment, model_info
from brainmark.scoring.results import BenchmarkResult, ResultsRecord


#: Model construction seeds torch's global RNG (untrained weights): one at a time, so that jobs running in
#: threads get exactly the weights serial scoring gets.
_LOAD_LOCK = threading.Lock()


ERRORS = ("raise", "record")


def _load_model(model: Any, model_options: dict[str, Any] | None) -> Any:
    if isinstance(model, str):
        from brainmark.models import load_model

        with _LOAD_LOCK:
            return load_model(model, **(model_options or {}))
    if hasattr(model, "named_modules") and hasattr(model, "forward") and not hasattr(model, "look_at"):
        raise BrainmarkError(
            f"{type(model).__name__} is a torch module, not a BrainModel: wrap it first, e.g. "
            "brainmark.load_model(module, candidate_layers=['layer1', 'layer2'], identifier='mynet')"
        )
    if model_options:
        raise BrainmarkError(f"model_options {sorted(model_options)} apply only when the model is given by name")
    return model


def _load_benchmark(benchmark: Any, convention: str | None) -> Benchmark:
    if isinstance(benchmark, str):
        options = {"convention": convention} if convention else {}
        return load_benchmark(benchmark, **options)
    if not isinstance(benchmark, Benchmark):
        raise BrainmarkError(f"a benchmark is an identifier or a brainmark Benchmark, got {type(benchmark).__name__}")
    if convention is not None and convention != benchmark.convention:
        raise BrainmarkError(
            f"benchmark {benchmark.identifier!r} was built with convention {benchmark.convention!r}; choose the "
            f"convention when building it (load_benchmark({benchmark.identifier!r}, convention={convention!r}))"
        )
    return benchmark


def _check_errors(errors: str) -> None:
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {', '.join(ERRORS)}, got {errors!r}")


def score(model: Any, benchmark: Any, *, convention: str | None = None,
          model_options: dict[str, Any] | None = None) -> Score:
    """Score one model on one benchmark.

    Parameters
    ----------
    model : str or BrainModel
        A model name for :func:`brainmark.load_model` (``"efficientnet-lite0"``, ``"resnet18-untrained"``, a
        ``file.py:factory``...) or a BrainModel. A plain torch module is refused with a hint to wrap it.
    benchmark : str or Benchmark
        A benchmark identifier (case-insensitive) or a Benchmark object.
    convention : str, optional
        The ceiling convention (``ratio``, ``squared-ratio``, ``explained-variance``) for a benchmark given by
        identifier; for a Benchmark object it must match the one it was built with.
    model_options : dict, optional
        Options for ``load_model`` when ``model`` is a name (e.g. ``{"untrained": True}``).

    Returns
    -------
    Score
        The ceiled score with its provenance (``meta["layer"]``, ``meta["layer_scores"]``, seeds, checksums).

    Scoring sets the model's recording or task state, as any experiment does, but never its commitment: layers
    chosen on selection data are recorded in the score and under ``$BRAINMARK_HOME/commitments``.
    """
    return _load_benchmark(benchmark, convention)(_load_model(model, model_options))


def run_benchmark(model: Any, benchmark_identifier: str, *, convention: str = DEFAULT_CONVENTION,
                  errors: str = "raise") -> BenchmarkResult:
    """Score one benchmark and wrap it as a :class:`BenchmarkResult` (committed layer and wall time included).

    With ``errors="record"`` a failure becomes a NaN score whose ``meta["failed"]`` says why, so one broken
    benchmark does not lose the others.
    """
    _check_errors(errors)
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
    _check_errors(errors)
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
