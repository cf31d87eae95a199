"""Child-process entry point: load an uploaded model package and score it on one benchmark.

``python -m brainmark.leaderboard.sandbox_entry PACKAGE_DIR FACTORY IDENTIFIER BENCHMARK OUTPUT_JSON``
Runs inside :func:`brainmark.leaderboard.sandbox.run_sandboxed`; writes a results record (JSON, never pickle)
to ``OUTPUT_JSON`` for the parent to check and store.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def load_package_model(package_dir: Path, factory: str, identifier: str):  # noqa: ANN201 - a BrainModel
    """The model built by ``factory`` ("module.py:function") of the package.

    Uses the models layer's user-model loader (``load_model("path/module.py:function")``) when it has one, so
    plain torch modules get wrapped into BrainModels; otherwise the factory must return a BrainModel itself.
    """
    module_file, function = factory.split(":")
    path = (package_dir / module_file).resolve()
    sys.path.insert(0, str(package_dir.resolve()))
    try:
        from brainmark.models import load_model
    except ImportError:
        load_model = None
    if load_model is not None:
        try:
            return load_model(f"{path}:{function}", identifier=identifier)
        except TypeError:
            return load_model(f"{path}:{function}")
    spec = importlib.util.spec_from_file_location(f"brainmark_upload_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function)()


def main(argv: list[str]) -> int:
    """Score one benchmark on the uploaded model inside the sandbox; write the results record."""
    package_dir, factory, identifier, benchmark_id, output = argv
    from brainmark.scoring.api import run_benchmark
    from brainmark.scoring.provenance import environment
    from brainmark.scoring.results import ResultsRecord

    model = load_package_model(Path(package_dir), factory, identifier)
    result = run_benchmark(model, benchmark_id)
    record = ResultsRecord(
        model={"identifier": identifier, "source": "upload", "factory": factory},
        scores=[result], environment=environment(),
    )
    record.save(output)
    print(f"scored {identifier} on {benchmark_id}: raw={result.score.raw:.4f} ceiled={result.score.ceiled:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
