"""What a scoring worker runs for one model x benchmark job.

:func:`run_job` takes a plain, picklable job spec and returns a plain dict (``ok``, ``record`` as results JSON,
``log``); it never touches the database: the server stores results (and workers need no credentials).
Zoo models are scored in the worker process; uploaded packages only inside the sandbox, each job with a fresh
``BRAINMARK_HOME`` in its temporary folder (untrusted code cannot poison the caches other jobs trust).
"""
from __future__ import annotations

import json
import tempfile
import traceback
from pathlib import Path
from typing import Any

from brainmark.leaderboard.sandbox import Limits, python_argv, run_sandboxed, scrubbed_env
from brainmark.leaderboard.uploads import extract_package


def _score_zoo(spec: dict[str, Any]) -> dict[str, Any]:
    from brainmark.scoring import score_model

    record = score_model(spec["model_identifier"], [spec["benchmark"]], model_options=spec.get("model_options"))
    return {"ok": True, "record": record.to_dict(), "log": f"scored {spec['model_identifier']} on {spec['benchmark']}"}


def _score_upload(spec: dict[str, Any]) -> dict[str, Any]:
    limits = Limits(**spec.get("limits", {}))
    with tempfile.TemporaryDirectory(prefix="brainmark-sandbox-") as tmp:
        workdir = Path(tmp)
        package_dir = workdir / "package"
        extract_package(spec["package"], package_dir)
        output = workdir / "result.json"
        argv = python_argv(
            "brainmark.leaderboard.sandbox_entry",
            str(package_dir), spec["factory"], spec["model_identifier"], spec["benchmark"], str(output),
        )
        env = scrubbed_env(workdir)
        if spec.get("sandbox_home"):
            env["BRAINMARK_HOME"] = spec["sandbox_home"]
        result = run_sandboxed(argv, workdir, limits, env=env)
        log = "\n".join(
            part for part in (
                f"sandbox: {result.describe()}; network isolated: {'yes' if result.network_isolated else 'no'}",
                result.stdout.strip(), result.stderr.strip()[-5000:],
            ) if part
        )
        if result.returncode != 0 or result.timed_out or not output.is_file():
            return {"ok": False, "record": None, "log": log}
        record = json.loads(output.read_text())
    if record.get("model", {}).get("identifier") != spec["model_identifier"]:
        return {"ok": False, "record": None, "log": log + "\nrejected: the result names another model"}
    return {"ok": True, "record": record, "log": log}


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Score ``spec['model_identifier']`` on ``spec['benchmark']``; failures come back as ``ok: False`` + log."""
    try:
        if spec["kind"] == "upload":
            return _score_upload(spec)
        return _score_zoo(spec)
    except Exception as exc:  # reported to the submitter, the worker lives on
        return {"ok": False, "record": None, "log": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"}
