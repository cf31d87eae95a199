"""Scoring: run benchmarks on models, combine into composites, write and verify results records."""
from brainmark.scoring.api import run_benchmark, score, score_model
from brainmark.scoring.bulk import BulkResult, ModelRequest, score_models
from brainmark.scoring.composites import COMPOSITES, compute_composites
from brainmark.scoring.results import BenchmarkResult, CompositeResult, ResultsRecord

__all__ = ["BenchmarkResult", "BulkResult", "COMPOSITES", "ModelRequest", "CompositeResult", "ResultsRecord", "compute_composites",
           "run_benchmark", "score", "score_model", "score_models"]
