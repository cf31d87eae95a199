"""What a scoring worker runs for one model x benchmark job.

:func:`run_job` takes a plain, picklable job spec and returns a plain dict (``ok``, ``record`` as results JSON,
``log``); it never touches the database: the server checks and stores results (workers need no credentials).
Zoo models are installed, trusted code and are scored in the worker process. An uploaded package is scored by
trusted code too: the benchmark, layer commitment, readout, metric, ceiling, composite and every metadata value
are computed here, and only the activations come from the package, running in the sandbox
(:class:`~brainmark.leaderboard.proxy.SandboxedBrainModel`). Where the machine cannot sandbox, upload jobs fail
with the reason unless the operator allowed unsandboxed runs (``allow_unsandboxed`` in the spec).
"""
from __future__ import annotations

import hashlib
import logging
import sys
import threading
import traceback
from typing import Any

from brainmark.leaderboard.sandbox import Limits, Sandbox, unavailable_reason
from brainmark.leaderboard.slots import sweep_stale
from brainmark.leaderboard.uploads import extract_package

log = logging.getLogger(__name__)
_SWEPT = threading.Event()
_SWEEP_LOCK = threading.Lock()


def sweep_once() -> list[str]:
    """Clean stale sandbox slots the first time this process runs a job (a restarted worker's leftovers)."""
    with _SWEEP_LOCK:
        if _SWEPT.is_set():
            return []
        _SWEPT.set()
        removed = sweep_stale()
    for line in removed:
        log.warning("removed stale sandbox state: %s", line)
    return removed


def _score_zoo(spec: dict[str, Any]) -> dict[str, Any]:
    from brainmark.scoring import score_model

    record = score_model(spec["model_identifier"], [spec["benchmark"]], model_options=spec.get("model_options"))
    return {"ok": True, "record": record.to_dict(), "log": f"scored {spec['model_identifier']} on {spec['benchmark']}"}


def _entry_argv(box: Sandbox, spec: dict[str, Any]) -> list[str]:
    return [sys.executable, "-s", "-m", "brainmark.leaderboard.sandbox_entry", box.inside("package"), spec["factory"],
            spec["model_identifier"], box.inside("stimuli"), f"{box.inside('work')}/out"]


def _sandbox_log(box: Sandbox) -> str:
    how = "UNSANDBOXED (operator flag)" if box.unsandboxed else (
        f"bubblewrap, uid {box.slot.uid if box.slot.uid is not None else 'of the worker'}, "
        f"limits by {box.accounting}")
    lines = [f"sandbox: {how}; ran {box.elapsed:.1f} s"]
    if box.stopped:
        lines.append(f"sandbox stopped: {box.stopped}")
    lines += [f"sandbox: {note}" for note in box.notes]
    tail = box.stderr_tail(5000).strip()
    return "\n".join(lines + ([tail] if tail else []))


def score_upload(spec: dict[str, Any]) -> dict[str, Any]:
    """Score an uploaded package on one benchmark: activations from the sandbox, everything else here."""
    from brainmark.leaderboard.channel import SandboxClient
    from brainmark.leaderboard.proxy import SandboxedBrainModel
    from brainmark.scoring.api import run_benchmark
    from brainmark.scoring.composites import compute_composites
    from brainmark.scoring.provenance import environment
    from brainmark.scoring.results import ResultsRecord

    reason = unavailable_reason()
    unsandboxed = reason is not None and bool(spec.get("allow_unsandboxed"))
    if reason is not None and not unsandboxed:
        return {"ok": False, "record": None, "log": f"not scored: this worker cannot sandbox uploaded code: {reason}"}
    sweep_once()
    package: bytes = spec["package"]
    sha = hashlib.sha256(package).hexdigest()
    with Sandbox(Limits(**spec.get("limits", {})), unsandboxed=unsandboxed) as box:
        extract_package(package, box.host("package"))
        client = SandboxClient(box)
        try:
            box.start(_entry_argv(box, spec), pipes=True)
            model = SandboxedBrainModel(client, spec["model_identifier"], sha)
            result = run_benchmark(model, spec["benchmark"])
        except Exception as exc:  # the model failed, broke the protocol or a limit: the job fails with why
            box.stop()
            return {"ok": False, "record": None, "log": f"{_sandbox_log(box)}\nfailed: {type(exc).__name__}: {exc}"}
        finally:
            client.close()
        box.stop()
        text = _sandbox_log(box)
    info = {"identifier": spec["model_identifier"], "source": "upload", "factory": spec["factory"],
            "package_sha256": sha, "candidate_layers": model.candidate_layers,
            "reported_weights_hash": model.spec.reported_weights_hash}
    record = ResultsRecord(model=info, scores=[result], composites=compute_composites([result]),
                           environment=environment())
    return {"ok": True, "record": record.to_dict(), "log": f"{text}\nscored on {spec['benchmark']}"}


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Score ``spec['model_identifier']`` on ``spec['benchmark']``; failures come back as ``ok: False`` + log."""
    try:
        if spec["kind"] == "upload":
            return score_upload(spec)
        return _score_zoo(spec)
    except Exception as exc:  # reported to the submitter, the worker lives on
        return {"ok": False, "record": None, "log": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"}


def sandbox_probe() -> str | None:
    """Why this worker cannot sandbox uploaded code (None: it can); also cleans stale slots (run at start)."""
    reason = unavailable_reason()
    if reason is None:
        sweep_once()
    return reason


def register_sweeper(executor: Any) -> bool:
    """On a Dask executor, sweep stale sandbox slots on every worker as it starts (restarted ones included)."""
    client = getattr(executor, "client", None)
    if client is None or not hasattr(client, "register_plugin"):
        return False
    from distributed import WorkerPlugin

    class SweepOnStart(WorkerPlugin):
        """Runs :func:`sweep_once` when a worker starts or joins."""

        name = "brainmark-sandbox-sweep"

        def setup(self, worker: Any) -> None:
            """Clean what a killed predecessor left."""
            sweep_once()

    client.register_plugin(SweepOnStart())
    return True
