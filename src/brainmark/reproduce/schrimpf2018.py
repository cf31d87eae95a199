"""``brainmark reproduce schrimpf2018``: score a model set on the 2018 composite and write the paper's analyses.

1. **Benchmarks** (:func:`plan_benchmarks`): per group (V4, IT, behaviour) the paper's benchmark
   (MajajHong2015 V4 / IT, Rajalingham2018 I2n) when its data can be had (cache, mirror or download); otherwise
   every offline benchmark of the same region and kind stands in, and the store's reason is kept for every output.
2. **Models** (:func:`default_models`): every zoo model whose published weights are on this machine (or can be
   downloaded when online), and the untrained (random-weights) control of each; ``models=`` chooses.
3. **Scoring** (:func:`brainmark.scoring.score_models`): one results record per model in the output folder,
   written as each model finishes; a rerun skips complete records and resumes interrupted models.
4. **Report** (:func:`brainmark.reports.schrimpf2018_html.write_schrimpf2018_report`): Table 1, Figures 1 and 2,
   the correlations between benchmarks, the image-level analysis where I2n ran, ``report.html`` and
   ``reproduce.json`` (the plan, the models, the wall time, the machine).
"""
from __future__ import annotations

import json
import os
import platform
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlparse

from brainmark.errors import BrainmarkError
from brainmark.scores import DEFAULT_CONVENTION

#: The paper's benchmark per group; the same mapping the reports use to describe records.
GROUPS = ("V4", "IT", "behavior")


@dataclass(frozen=True)
class GroupPlan:
    """One group of the 2018 composite: the paper's benchmark, whether its data is here, and what is scored."""

    group: str
    paper: str
    available: bool
    reason: str  # why the paper's benchmark is not used ("" when it is), in short
    benchmarks: tuple[str, ...]
    detail: str = ""  # the data store's whole message


@dataclass(frozen=True)
class Plan:
    """Which benchmarks a reproduction scores, group by group."""

    groups: tuple[GroupPlan, ...]

    @property
    def benchmarks(self) -> list[str]:
        """Every benchmark to score, in group order, each once."""
        out: list[str] = []
        for group in self.groups:
            out += [b for b in group.benchmarks if b not in out]
        return out

    @property
    def reasons(self) -> dict[str, str]:
        """Group -> why the paper's benchmark was replaced (only the replaced groups)."""
        return {g.group: g.reason for g in self.groups if not g.available}

    def notes(self) -> list[str]:
        """One line per group, for the terminal and every output file."""
        out = []
        for g in self.groups:
            if g.available:
                out.append(f"{g.group}: the paper's {g.paper}")
            else:
                out.append(f"{g.group}: the paper's {g.paper} cannot be loaded ({g.reason}); offline benchmarks of "
                           f"the same region and kind stand in: {', '.join(g.benchmarks) or 'none'}")
        return out


def probe_benchmark(identifier: str) -> str | None:
    """None when every data file of the benchmark can be had (fetched into the cache), else the store's error."""
    from brainmark.benchmarks import load_benchmark
    from brainmark.data.fetch_errors import DataFetchError
    from brainmark.data.registry import DATASETS, STIMULUS_SETS, DatasetEntry

    import brainmark.datasets  # noqa: F401  (registers the datasets)

    for name in dict.fromkeys(load_benchmark(identifier).datasets):
        for registry in (DATASETS, STIMULUS_SETS):
            entry = registry.factory(name) if name in registry else None
            if isinstance(entry, DatasetEntry):
                try:
                    entry.fetch()
                except DataFetchError as exc:
                    return str(exc)
    return None


#: Offline behavioural benchmarks of object-recognition decisions against humans (the kind of the paper's I2n).
OBJECT_RECOGNITION_PREFIX = "Geirhos2021"


def stand_ins(group: str) -> list[str]:
    """The offline benchmarks of the group's region and kind (V4 / IT: neural of that region; behaviour: the
    object-recognition decisions compared with humans, i.e. the Geirhos2021 benchmarks, as the paper's I2n; not the
    similarity judgements of Mur2013 nor the human-free Hermann2020 shape-bias properties)."""
    from brainmark.benchmarks import BENCHMARKS, benchmark_identifiers
    from brainmark.benchmarks.base import BEHAVIORAL, NEURAL
    from brainmark.benchmarks.custom import USER_DATA_PREFIX

    out = []
    for identifier in benchmark_identifiers(offline_only=True):
        if identifier.startswith(USER_DATA_PREFIX):  # a user's own recordings never stand in for the paper's data
            continue
        factory = BENCHMARKS.factory(identifier)
        kind, region = getattr(factory, "kind", None), getattr(factory, "region", None)
        decisions = kind == BEHAVIORAL and identifier.startswith(OBJECT_RECOGNITION_PREFIX)
        if (group == "behavior" and decisions) or (kind == NEURAL and region == group):
            out.append(identifier)
    return out


def plan_benchmarks(probe: Callable[[str], str | None] = probe_benchmark) -> Plan:
    """The paper's benchmark of each group where its data loads, else that group's offline stand-ins."""
    from brainmark.reports.schrimpf2018 import PAPER_BENCHMARKS

    groups = []
    for group in GROUPS:
        paper = PAPER_BENCHMARKS[group]
        reason = probe(paper)
        if reason is None:
            groups.append(GroupPlan(group, paper, True, "", (paper,)))
        else:
            short = reason.split("; tried")[0].split(". If you have")[0]  # which file, and why
            groups.append(GroupPlan(group, paper, False, short, tuple(stand_ins(group)), reason))
    return Plan(tuple(groups))


def _reachable(url: str, timeout: float = 3.0) -> bool:
    host = urlparse(url).hostname
    if not host:
        return False
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def pretrained_available(name: str) -> tuple[bool, str]:
    """Whether zoo model ``name``'s published weights are on this machine or can be downloaded, and how."""
    from brainmark.models import model_entry_info
    from brainmark.models.loading import hub_file, offline

    info = model_entry_info(name)
    if info.get("family") == "efficientnet-lite":
        from brainmark.models.efficientnet_lite import weights_path

        try:
            return os.path.isfile(weights_path(name)), "weights package installed"
        except (ImportError, AttributeError) as exc:
            return False, f"weights package missing ({exc})"
    url = str(info.get("weights_url") or "")
    if not url:
        return False, "no published weights"
    if hub_file(url).is_file():
        return True, f"in the torch.hub cache ({hub_file(url)})"
    if not offline() and _reachable(url):
        return True, f"downloadable from {urlparse(url).hostname}"
    return False, "published weights not on this machine and not downloadable (offline)"


def default_models() -> list[str]:
    """Every zoo model with its published weights available, then the untrained control of each."""
    from brainmark.models import MODELS

    trained = [name for name in MODELS.names() if pretrained_available(name)[0]]
    return [*trained, *(f"{name}-untrained" for name in trained)]


@dataclass
class ReproduceResult:
    """What :func:`reproduce_schrimpf2018` did: the plan, the bulk scoring, the report files, the wall time."""

    plan: Plan
    bulk: Any  # brainmark.scoring.bulk.BulkResult
    report: dict[str, Any]
    seconds: float
    manifest: Path


def _machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in load] if load else None,
            "host": socket.gethostname()}


def reproduce_schrimpf2018(models: Sequence[str] | None = None, output: str | Path = "schrimpf2018", *,
                           executor: Any = None, convention: str = DEFAULT_CONVENTION,
                           model_options: Mapping[str, Any] | None = None, resume: bool = True,
                           plan: Plan | None = None, log: Callable[[str], None] | None = None) -> ReproduceResult:
    """Score ``models`` (default: :func:`default_models`) on the 2018 composite and write the report to ``output``.

    ``executor`` runs the (model, benchmark) jobs (None: serially); ``plan`` overrides the benchmark choice;
    ``log`` receives one line per step (default: nothing).
    """
    from brainmark._io import atomic_write
    from brainmark.reports.schrimpf2018_html import write_schrimpf2018_report
    from brainmark.scoring.bulk import ModelRequest, record_path, score_models

    say = log or (lambda line: None)
    start, started = time.perf_counter(), datetime.now(timezone.utc).isoformat(timespec="seconds")
    machine_start = _machine()
    plan = plan or plan_benchmarks()
    for note in plan.notes():
        say(note)
    chosen = list(models) if models else default_models()
    if not chosen:
        raise BrainmarkError("no model to score: no zoo model has its published weights here; name models with "
                             "--models (e.g. alexnet-untrained,resnet18-untrained)")
    say(f"{len(chosen)} models x {len(plan.benchmarks)} benchmarks: {', '.join(chosen)}")
    output = Path(output)
    bulk = score_models(chosen, plan.benchmarks, executor=executor, output=output, convention=convention,
                        model_options=model_options, resume=resume, log=say)
    seconds = round(time.perf_counter() - start, 1)
    scored = len(chosen) - len(bulk.skipped)
    run_note = (f"this run: {scored} models scored, {len(bulk.skipped)} kept from an earlier run, "
                f"{seconds:.0f} s wall time, started {started} on {machine_start['cpus']} CPUs "
                f"(load average {machine_start['load_average']})")
    report = write_schrimpf2018_report(bulk.records, output, reasons=plan.reasons, extra_notes=[run_note])
    manifest = output / "reproduce.json"
    labels = [ModelRequest.parse(m).label for m in chosen]
    with atomic_write(manifest, "w") as f:
        f.write(json.dumps({
        "analysis": "schrimpf2018", "started": started, "seconds": seconds, "convention": convention,
        "models": chosen, "skipped": bulk.skipped, "reused": bulk.reused, "failed": bulk.failed,
        "plan": [asdict(g) for g in plan.groups], "benchmarks": plan.benchmarks, "notes": plan.notes(),
        "machine_at_start": machine_start, "machine_at_end": _machine(),
        "records": {label: str(record_path(output, label)) for label in labels},
    }, indent=2, default=str))
    say(run_note)
    return ReproduceResult(plan, bulk, report, seconds, manifest)
