"""Benchmarks: data + stimulus presentation + metric + ceiling, under versioned identifiers.

``load_benchmark(identifier)`` returns a :class:`Benchmark`; ``benchmark(model) -> Score``. Importing this package
registers the built-in benchmarks (``brainmark.benchmarks.catalog``); others come through the
``brainmark.benchmarks`` entry-point group.
"""
from brainmark.benchmarks.base import (
    BENCHMARKS,
    Benchmark,
    BenchmarkError,
    BenchmarkFactory,
    benchmark_identifiers,
    load_benchmark,
    register_benchmark,
)
from brainmark.benchmarks import catalog as _catalog  # noqa: E402,F401  (registers the built-in benchmarks)

__all__ = ["BENCHMARKS", "Benchmark", "BenchmarkError", "BenchmarkFactory", "benchmark_identifiers",
           "load_benchmark", "register_benchmark"]
