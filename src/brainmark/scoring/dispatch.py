"""Running the (model, benchmark) jobs of :func:`brainmark.scoring.bulk.score_models`: serially, or on an executor.

Both paths build each model's record from its results in the order of the benchmark identifiers, hand every
finished job to the writer (the partial record) and every finished model to it (the final record), and keep a
progress bar of jobs done / running / failed (and a log line per finished model, which also reaches logs and
pipes where no bar is drawn).
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

from brainmark.progress import progress, progress_enabled
from brainmark.scoring.bulk import Expected, ModelRequest, assemble, failed_result
from brainmark.scoring.results import BenchmarkResult, ResultsRecord

POLL_SECONDS = 0.2
Todo = Sequence[tuple[ModelRequest, Mapping[str, BenchmarkResult]]]


class JobsProgress:
    """A bar over the jobs with ``running R, failed F`` beside it; ``summary()`` is the same as one line."""

    def __init__(self, total: int, say: Callable[[str], None] | None = None) -> None:
        self.total, self.done, self.failed, self.running = total, 0, 0, 0
        self.bar = progress(total=total, desc="jobs", unit="job")
        self.say = None if progress_enabled() else say  # where no bar is drawn, a line per finished job

    def job(self, label: str, result: BenchmarkResult) -> None:
        """Note one finished job (a log line when there is no bar)."""
        if self.say is not None:
            state = "failed" if _is_failed(result) else "done"
            seconds = f" in {result.seconds:.0f} s" if result.seconds is not None else ""
            self.say(f"{label} x {result.benchmark}: {state}{seconds} ({self.summary()})")

    def update(self, finished: int = 0, failed: int = 0, running: int | None = None) -> None:
        """Count ``finished`` more jobs (``failed`` of them failed) and set how many run now."""
        self.done += finished
        self.failed += failed
        if running is not None:
            self.running = running
        if finished:
            self.bar.update(finished)
        self.bar.set_postfix_str(f"running {self.running}, failed {self.failed}", refresh=False)

    def summary(self) -> str:
        """``jobs 12/33 done, 2 running, 1 failed``."""
        return f"jobs {self.done}/{self.total} done, {self.running} running, {self.failed} failed"

    def close(self) -> None:
        """Remove the bar."""
        self.bar.close()


def _is_failed(result: BenchmarkResult) -> bool:
    return bool(result.score.meta.get("failed"))


def _finish_model(request: ModelRequest, info: Mapping[str, Any] | None, results: Mapping[str, BenchmarkResult],
                  ids: Sequence[str], writer: Any, bar: JobsProgress, say: Callable[[str], None]) -> ResultsRecord:
    record = assemble(info or {"identifier": request.label, "options": dict(request.options)},
                      [results[b] for b in ids])
    writer.final(request, record)
    failed = [r.benchmark for r in record.scores if _is_failed(r)]
    where = f" -> {writer.paths[request.label]}" if request.label in writer.paths else ""
    say(f"finished {request.label}: {len(ids) - len(failed)}/{len(ids)} benchmarks"
        + (f", failed: {', '.join(failed)}" if failed else "") + f"{where} ({bar.summary()})")
    return record


def run_serial(todo: Todo, ids: Sequence[str], expected: Expected, writer: Any, *, executor: Any = None,
               errors: str = "record", say: Callable[[str], None] = print) -> dict[str, ResultsRecord]:
    """One model after the other, each loaded once and scored on its benchmarks in order (as ``score_model``)."""
    from brainmark.scoring.api import _load_model, run_benchmark
    from brainmark.scoring.provenance import model_info

    bar = JobsProgress(sum(len(ids) - len(reused) for _, reused in todo), say)
    out: dict[str, ResultsRecord] = {}
    try:
        for request, reused in todo:
            results: dict[str, BenchmarkResult] = dict(reused)
            try:
                model = _load_model(request.name, dict(request.options))
            except Exception as exc:
                if errors == "raise":
                    raise
                missing = [b for b in ids if b not in results]
                results.update({b: failed_result(b, exc) for b in missing})
                bar.update(len(missing), len(missing), 0)
                out[request.label] = _finish_model(request, None, results, ids, writer, bar, say)
                continue
            info = model_info(model, dict(request.options))
            for benchmark in ids:
                if benchmark in results:
                    continue
                bar.update(running=1)
                result = run_benchmark(model, benchmark, convention=expected.convention, errors=errors)
                results[benchmark] = result
                bar.update(1, int(_is_failed(result)), 0)
                bar.job(request.label, result)
                writer.partial(request, info, [results[b] for b in ids if b in results])
            out[request.label] = _finish_model(request, info, results, ids, writer, bar, say)
    finally:
        bar.close()
    return out


def _running(executor: Any, futures: Sequence[Any]) -> int | None:
    """How many of ``futures`` are being computed now (None when the executor cannot tell)."""
    if not futures:
        return 0
    if callable(getattr(futures[0], "running", None)):  # concurrent.futures
        return sum(1 for f in futures if f.running())
    try:  # Dask: the tasks the scheduler has handed to workers
        processing = executor.client.processing()
        keys = {k for tasks in processing.values() for k in tasks}
        return sum(1 for f in futures if f.key in keys)
    except Exception:  # noqa: BLE001 - progress only; never fail the run for it
        return None


def run_parallel(todo: Todo, ids: Sequence[str], expected: Expected, writer: Any, *, executor: Any,
                 errors: str = "record", say: Callable[[str], None] = print) -> dict[str, ResultsRecord]:
    """Every missing (model, benchmark) job at once on ``executor``, benchmark-major; records as models finish."""
    from brainmark.scoring.api import _job

    state = {req.label: {"request": req, "results": dict(reused), "info": None} for req, reused in todo}
    jobs: list[tuple[Any, str, str]] = []  # (future, model label, benchmark)
    for benchmark in ids:
        for request, reused in todo:
            if benchmark not in reused:
                future = executor.submit(_job, request.name, dict(request.options), expected.convention, errors,
                                         benchmark)
                jobs.append((future, request.label, benchmark))
    remaining = {label: sum(1 for _, l, _ in jobs if l == label) for label in state}
    bar = JobsProgress(len(jobs), say)
    out: dict[str, ResultsRecord] = {}
    for label, count in remaining.items():  # everything was reused: nothing to wait for
        if count == 0:
            s = state[label]
            out[label] = _finish_model(s["request"], None, s["results"], ids, writer, bar, say)
    pending = list(jobs)
    try:
        while pending:
            finished = [job for job in pending if job[0].done()]
            pending = [job for job in pending if not job[0].done()] if finished else pending
            failed = 0
            for future, label, benchmark in finished:
                s = state[label]
                try:
                    result, info = future.result()
                    s["info"] = s["info"] or info
                except Exception as exc:  # the job itself raised: its model did not load, its worker died...
                    if errors == "raise":
                        raise
                    result = failed_result(benchmark, exc)
                s["results"][benchmark] = result
                failed += int(_is_failed(result))
                remaining[label] -= 1
                writer.partial(s["request"], s["info"] or {"identifier": label, "options": dict(s["request"].options)},
                               [s["results"][b] for b in ids if b in s["results"]])
            bar.update(len(finished), failed, _running(executor, [job[0] for job in pending]))
            for _, label, benchmark in finished:
                bar.job(label, state[label]["results"][benchmark])
            for label in sorted({label for _, label, _ in finished}):
                if remaining[label] == 0:
                    s = state[label]
                    out[label] = _finish_model(s["request"], s["info"], s["results"], ids, writer, bar, say)
            if not finished:
                time.sleep(POLL_SECONDS)
    except BaseException:
        for future, _, _ in pending:
            future.cancel()
        raise
    finally:
        bar.close()
    return out
