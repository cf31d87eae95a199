"""Scoring many models at once (``brainmark score --models a,b,c``): every (model, benchmark) pair is one job.

Without an executor the models run one after another (each loaded once, its benchmarks in order: exactly
:func:`~brainmark.scoring.api.score_model`). With one (threads, processes, a Dask cluster), all jobs are submitted
together, *benchmark-major* (every model's job for the first benchmark, then the second...), so that the jobs
running at the same time belong to different models and never compute the same activations twice; the numbers
are those of serial scoring because every job is deterministic and self-contained.

With an ``output`` folder each model's results record is written (``<model>.json`` + ``.csv``, atomically) as
soon as its last job finishes, and every finished job is kept in ``<model>.partial.json`` until then. A rerun
skips a model whose record is complete (the same benchmarks, benchmark versions, convention and model options,
nothing failed) and says so; of a model interrupted half-way, or with failed benchmarks, it scores only the
benchmarks that are missing or failed.
"""
from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from brainmark.errors import BrainmarkError
from brainmark.scores import DEFAULT_CONVENTION, Score
from brainmark.scoring.composites import compute_composites
from brainmark.scoring.provenance import environment
from brainmark.scoring.results import BenchmarkResult, ResultsFormatError, ResultsRecord

LOG = logging.getLogger("brainmark.bulk")
UNTRAINED_SUFFIX = "-untrained"
#: Options of ``load_model`` that say where and how the forward passes run, not which model it is.
EXECUTION_OPTIONS = ("device", "batch_size", "workers")
PARTIAL_SUFFIX = ".partial.json"


@dataclass(frozen=True)
class ModelRequest:
    """A model to score: the name ``load_model`` takes and its options (``untrained``, ``seed``, ``device``...)."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, **options: Any) -> "ModelRequest":
        """``"alexnet-untrained"`` -> ``ModelRequest("alexnet", {"untrained": True})`` (plus ``options``)."""
        name = text.strip()
        if not name:
            raise BrainmarkError("an empty model name was given; list models as a,b,c (see `brainmark models list`)")
        if name.endswith(UNTRAINED_SUFFIX):
            name, options = name[: -len(UNTRAINED_SUFFIX)], {**options, "untrained": True}
        return cls(name, {k: v for k, v in options.items() if v not in (None, False)})

    @property
    def label(self) -> str:
        """The model's identifier as ``load_model`` names it (``alexnet-untrained``, ``alexnet-untrained-seed3``)."""
        seed = self.options.get("seed") or 0
        untrained = bool(self.options.get("untrained"))
        return self.name + (UNTRAINED_SUFFIX if untrained else "") + (f"-seed{seed}" if untrained and seed else "")

    @property
    def identity(self) -> dict[str, Any]:
        """The options that change the model (not where it runs)."""
        return {k: v for k, v in self.options.items() if k not in EXECUTION_OPTIONS}


def read_models_file(path: str | Path) -> list[str]:
    """Model names from a file: one per line (or comma-separated), ``#`` starts a comment."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise BrainmarkError(f"cannot read the models file {path}: {exc}") from exc
    names = [n.strip() for line in text.splitlines() for n in line.split("#", 1)[0].split(",") if n.strip()]
    if not names:
        raise BrainmarkError(f"the models file {path} names no model (one per line; # starts a comment)")
    return names


def record_path(folder: str | Path, label: str) -> Path:
    """Where the results record of model ``label`` lives in a results folder: ``<label>.json``, the label made
    safe for a file name (``path/to/net.py:build`` -> ``net.py_build.json``)."""
    name = label.rsplit("/", 1)[-1]
    return Path(folder) / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name).strip('_') or 'model'}.json"


@dataclass(frozen=True)
class Expected:
    """What a finished record must hold: the benchmarks (in order), their current versions and the convention."""

    benchmarks: tuple[str, ...]
    versions: Mapping[str, int]
    convention: str

    def reusable(self, result: BenchmarkResult) -> str | None:
        """Why ``result`` cannot stand for a fresh score of its benchmark (None: it can)."""
        if result.benchmark not in self.versions:
            return f"{result.benchmark} is not requested"
        if result.benchmark_version != self.versions[result.benchmark]:
            return (f"{result.benchmark} is version {result.benchmark_version}, the current one is "
                    f"{self.versions[result.benchmark]}")
        if result.score.meta.get("failed"):
            return f"{result.benchmark} failed ({result.score.meta['failed']})"
        convention = result.score.meta.get("convention")
        if convention is not None and convention != self.convention:
            return f"{result.benchmark} used convention {convention}, not {self.convention}"
        return None


def expected_for(benchmarks: Sequence[str], convention: str) -> Expected:
    """The benchmarks' current versions (building a benchmark loads no data)."""
    from brainmark.benchmarks import load_benchmark

    return Expected(tuple(benchmarks), {b: int(load_benchmark(b).version) for b in benchmarks}, convention)


def _same_model(record: ResultsRecord, request: ModelRequest) -> str | None:
    options = {k: v for k, v in dict(record.model.get("options") or {}).items() if k not in EXECUTION_OPTIONS}
    if options != request.identity:
        return f"it was scored with options {options}, not {request.identity}"
    return None


def complete_record(path: Path, request: ModelRequest, expected: Expected) -> tuple[ResultsRecord | None, str]:
    """The finished record at ``path`` when it is complete for ``request`` (else None), and why or why not."""
    if not path.is_file():
        return None, "no record yet"
    try:
        record = ResultsRecord.load(path)
    except (ResultsFormatError, OSError) as exc:
        return None, f"{path.name} is unreadable ({exc})"
    why = _same_model(record, request)
    if why:
        return None, why
    have = [r.benchmark for r in record.scores]
    if sorted(have) != sorted(expected.benchmarks):
        missing, extra = sorted(set(expected.benchmarks) - set(have)), sorted(set(have) - set(expected.benchmarks))
        return None, f"its benchmarks differ (missing {missing or 'none'}, extra {extra or 'none'})"
    for result in record.scores:
        why = expected.reusable(result)
        if why:
            return None, why
    return record, f"complete ({len(have)} benchmarks, the same versions and convention {expected.convention})"


def reusable_results(folder: Path | None, request: ModelRequest, expected: Expected) -> dict[str, BenchmarkResult]:
    """Finished, still valid benchmark results of an earlier run: of its record when that one is incomplete (some
    benchmark failed or changed) and of ``<model>.partial.json`` (a run interrupted before the model finished)."""
    if folder is None:
        return {}
    final = record_path(folder, request.label)
    found: dict[str, BenchmarkResult] = {}
    for path in (final, final.with_suffix(PARTIAL_SUFFIX)):  # the partial record is the newer one
        try:
            record = ResultsRecord.load(path)
        except (ResultsFormatError, OSError):
            continue
        if _same_model(record, request) is None:
            found.update({r.benchmark: r for r in record.scores if expected.reusable(r) is None})
    return found


def assemble(info: Mapping[str, Any], results: Sequence[BenchmarkResult]) -> ResultsRecord:
    """The results record of one model, exactly as :func:`~brainmark.scoring.api.score_model` builds it."""
    return ResultsRecord(model=info, scores=list(results), composites=compute_composites(results),
                         environment=environment())


def failed_result(benchmark: str, exc: BaseException) -> BenchmarkResult:
    """A job that raised (its model did not load, its worker died): a NaN score saying why."""
    score = Score(raw=math.nan, meta={"benchmark": benchmark, "failed": f"{type(exc).__name__}: {exc}"})
    return BenchmarkResult(benchmark, 0, score)


@dataclass
class BulkResult:
    """What :func:`score_models` did: the records (in the order of the models), the skipped and the failed."""

    records: list[ResultsRecord]
    labels: list[str]  # each record's model as requested (its file is record_path(output, label))
    skipped: dict[str, str]  # model label -> why its finished record was kept
    failed: dict[str, list[str]]  # model label -> its failed benchmarks
    reused: dict[str, list[str]]  # model label -> benchmarks taken from its partial record
    seconds: float
    paths: dict[str, Path] = field(default_factory=dict)


class _Writer:
    """Keeps each model's finished jobs and writes its partial and final records (when there is a folder)."""

    def __init__(self, folder: Path | None, on_record: Callable[[ResultsRecord], None] | None) -> None:
        self.folder, self.on_record = folder, on_record
        self.paths: dict[str, Path] = {}

    def partial(self, request: ModelRequest, info: Mapping[str, Any], results: Sequence[BenchmarkResult]) -> None:
        """Keep what finished so far (``<model>.partial.json``)."""
        if self.folder is not None:
            path = record_path(self.folder, request.label).with_suffix(PARTIAL_SUFFIX)
            ResultsRecord(model=info, scores=list(results), environment=environment()).save(path)

    def final(self, request: ModelRequest, record: ResultsRecord) -> None:
        """Write the finished record (JSON + CSV) and drop the partial one."""
        if self.folder is not None:
            path = record_path(self.folder, request.label)
            record.save(path)
            record.save_csv(path.with_suffix(".csv"))
            path.with_suffix(PARTIAL_SUFFIX).unlink(missing_ok=True)
            self.paths[request.label] = path
        if self.on_record is not None:
            self.on_record(record)


def score_models(models: Sequence[str | ModelRequest], benchmarks: Sequence[str] | None = None, *,
                 executor: Any = None, output: str | Path | None = None, convention: str = DEFAULT_CONVENTION,
                 errors: str = "record", model_options: Mapping[str, Any] | None = None, resume: bool = True,
                 log: Callable[[str], None] | None = None,
                 on_record: Callable[[ResultsRecord], None] | None = None) -> BulkResult:
    """Score several models on several benchmarks (default: every offline benchmark), one record per model.

    Parameters
    ----------
    models : model names (``"resnet18"``, ``"alexnet-untrained"``, ``"file.py:factory"``) or ModelRequests
    benchmarks : benchmark identifiers; None = every benchmark that needs no network
    executor : None (serial), or any :class:`~brainmark.compute.Executor` (threads, processes, Dask)
    output : folder for ``<model>.json`` / ``.csv``, written as each model finishes (None: nothing written)
    convention, errors : as for :func:`~brainmark.scoring.api.score_model` (``errors="record"`` keeps going)
    model_options : options for every model's ``load_model`` (``device``, ``batch_size``...)
    resume : skip models whose record in ``output`` is complete; reuse the finished jobs of an interrupted run
    log : called with one line per decision (skipped, resumed, written); default: the ``brainmark.bulk`` logger
    on_record : called with each model's record as soon as it is complete

    Returns
    -------
    BulkResult
    """
    from brainmark.scoring.api import _check_errors, benchmark_identifiers_offline

    _check_errors(errors)
    start = time.perf_counter()
    say = log or LOG.info
    requests = [m if isinstance(m, ModelRequest) else ModelRequest.parse(m, **dict(model_options or {}))
                for m in models]
    labels = [r.label for r in requests]
    if len(set(labels)) != len(labels):
        raise BrainmarkError(f"models named twice: {sorted({x for x in labels if labels.count(x) > 1})}")
    ids = list(benchmarks) if benchmarks else benchmark_identifiers_offline()
    expected = expected_for(ids, convention)
    folder = Path(output) if output is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    done: dict[str, ResultsRecord] = {}
    skipped: dict[str, str] = {}
    todo: list[tuple[ModelRequest, dict[str, BenchmarkResult]]] = []
    for request in requests:
        if resume and folder is not None:
            record, why = complete_record(record_path(folder, request.label), request, expected)
            if record is not None:
                done[request.label], skipped[request.label] = record, why
                say(f"skipped {request.label}: its record {record_path(folder, request.label)} is {why}")
                continue
        reused = reusable_results(folder, request, expected) if resume else {}
        if reused:
            say(f"resuming {request.label}: {len(reused)} of {len(ids)} benchmarks finished earlier are kept")
        todo.append((request, reused))
    writer = _Writer(folder, on_record)
    from brainmark.scoring.dispatch import run_parallel, run_serial

    runner = run_serial if executor is None else run_parallel
    fresh = runner(todo, ids, expected, writer, executor=executor, errors=errors, say=say)
    done.update(fresh)
    records = [done[label] for label in labels]
    failed = {label: [s.benchmark for s in r.scores if s.score.meta.get("failed")] for label, r in zip(labels, records)}
    reused_names = {req.label: sorted(reused) for req, reused in todo if reused}
    return BulkResult(records, labels, skipped, {k: v for k, v in failed.items() if v}, reused_names,
                      round(time.perf_counter() - start, 3), dict(writer.paths))
