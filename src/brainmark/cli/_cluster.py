"""Options shared by the commands that score many models: which models, and where the jobs run (Dask).

The Dask rules are those of ``brainmark serve`` / ``brainmark worker``: ``--workers N`` starts a LocalCluster on
127.0.0.1 with mutual TLS from temporary certificates; ``--scheduler tls://HOST:PORT`` joins a running cluster
with certificates from ``--tls-ca-file/--tls-cert/--tls-key`` or the ``DASK_DISTRIBUTED__COMM__TLS__*``
variables; a plain ``tcp://`` scheduler is refused unless ``--insecure-scheduler`` says the network is trusted.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from brainmark.errors import BrainmarkError

MODELS_HELP = "Comma-separated models, e.g. resnet18,alexnet-untrained (one results record each)."
MODELS_FROM_HELP = "A file of model names, one per line (# starts a comment)."
WORKERS_HELP = "Run the jobs on a local Dask cluster of N worker processes (mutual TLS on 127.0.0.1)."
SCHEDULER_HELP = ("tls://HOST:PORT of a running Dask scheduler (certificates from --tls-* or the "
                  "DASK_DISTRIBUTED__COMM__TLS__* variables); tcp:// only with --insecure-scheduler.")
INSECURE_HELP = "Accept a plain tcp:// scheduler (anyone who can reach it can run code): trusted networks only."
DEVICE_HELP = "Where the forward passes run: cpu, cuda, cuda:1 ... (default: cuda when available, else cpu)."
BATCH_HELP = "Images per forward pass (default 32)."


def model_names(models: Optional[str], models_from: Optional[Path]) -> list[str]:
    """The models of ``--models a,b`` and ``--models-from FILE`` (in that order, each once)."""
    from brainmark.scoring.bulk import read_models_file

    names = [m.strip() for m in (models or "").split(",") if m.strip()]
    if models_from is not None:
        names += read_models_file(models_from)
    return list(dict.fromkeys(names))


def execution_options(device: Optional[str], batch_size: Optional[int]) -> dict[str, Any]:
    """``load_model`` options for ``--device`` / ``--batch-size`` (only those given)."""
    options: dict[str, Any] = {}
    if device:
        options["device"] = device
    if batch_size is not None:
        if batch_size < 1:
            raise typer.BadParameter(f"--batch-size must be at least 1, got {batch_size}")
        options["batch_size"] = batch_size
    return options


def tls_security(ca_file: Optional[Path], cert: Optional[Path], key: Optional[Path]) -> Any:
    """A client Security from the three certificate files, or None when none is given (Dask's configuration)."""
    given = {"--tls-ca-file": ca_file, "--tls-cert": cert, "--tls-key": key}
    if not any(given.values()):
        return None
    missing = [flag for flag, value in given.items() if value is None]
    if missing:
        raise BrainmarkError(f"TLS needs all three of --tls-ca-file, --tls-cert and --tls-key; missing {', '.join(missing)}")
    for flag, path in given.items():
        if not Path(path).is_file():
            raise BrainmarkError(f"{flag} {path}: no such file")
    from distributed.security import Security

    return Security(tls_ca_file=str(ca_file), tls_client_cert=str(cert), tls_client_key=str(key),
                    require_encryption=True)


def build_executor(workers: Optional[int], scheduler: Optional[str], insecure: bool, ca_file: Optional[Path] = None,
                   cert: Optional[Path] = None, key: Optional[Path] = None) -> Any:
    """A connected DaskExecutor for ``--workers`` / ``--scheduler`` (None for neither: serial scoring)."""
    from brainmark.compute.dask import DaskExecutor, InsecureSchedulerError

    if workers is not None and scheduler is not None:
        raise BrainmarkError("--workers starts a local cluster and --scheduler joins one: give one of them")
    if workers is not None and workers < 1:
        raise BrainmarkError(f"--workers must be at least 1, got {workers}")
    if scheduler is None and workers is None:
        if insecure or ca_file or cert or key:
            raise BrainmarkError("--insecure-scheduler and --tls-* apply to --scheduler only")
        return None
    if scheduler is not None:
        try:
            executor = DaskExecutor(scheduler=scheduler, security=tls_security(ca_file, cert, key),
                                    allow_insecure=insecure)
        except InsecureSchedulerError as exc:
            raise BrainmarkError(str(exc)) from exc
    else:
        executor = DaskExecutor(n_workers=workers)
    try:
        _ = executor.client  # connect (or start the LocalCluster) now, so a wrong address fails at once
    except OSError as exc:
        executor.close()
        raise BrainmarkError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    return executor
