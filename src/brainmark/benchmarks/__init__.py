"""Benchmarks: data + stimulus presentation + metric + ceiling, under versioned identifiers.

``load_benchmark(identifier)`` returns a :class:`Benchmark`; ``benchmark(model) -> Score``. The built-in
benchmarks register on first use (``brainmark.benchmarks.catalog``); others through the ``brainmark.benchmarks``
entry-point group.
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

__all__ = ["BENCHMARKS", "Benchmark", "BenchmarkError", "BenchmarkFactory", "benchmark_identifiers",
           "load_benchmark", "register_benchmark"]
