"""Reproductions of published analyses as commands (``brainmark reproduce <paper>``).

- :mod:`brainmark.reproduce.schrimpf2018`: Schrimpf et al. 2018, "Brain-Score" (Table 1, Figures 1 and 2, the
  correlations between benchmarks and the image-level behavioural analysis).
"""
from brainmark.reproduce.schrimpf2018 import Plan, ReproduceResult, default_models, plan_benchmarks, reproduce_schrimpf2018

__all__ = ["Plan", "ReproduceResult", "default_models", "plan_benchmarks", "reproduce_schrimpf2018"]
