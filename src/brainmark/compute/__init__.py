"""Executors: run independent jobs (model x benchmark, layer x benchmark) locally or on a cluster.

Every executor implements the :class:`Executor` protocol, so scoring code is the same on a laptop
(:class:`LocalExecutor`, threads or processes) and on a cluster (``brainmark.compute.dask``).
Results always come back in the order of the submitted items, whatever order the jobs finished in.
"""
from brainmark.compute.local import Executor, Job, LocalExecutor, SerialExecutor, default_executor

__all__ = ["Executor", "Job", "LocalExecutor", "SerialExecutor", "default_executor"]
