"""Reading behavioural trial assemblies and model outputs into plain arrays.

Human trials: an ``xarray.DataArray`` with one ``presentation`` per trial whose values are the chosen responses
(strings). Coordinates on ``presentation``: ``stimulus_id`` (legacy ``image_id``), ``truth`` (the object shown),
and for match-to-sample data ``distractor`` (official: ``dist_obj``) and optionally ``sample_obj`` (defaults to
``truth``) and ``choice`` (defaults to the values); ``subject`` and ``condition`` where present.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from brainmark.errors import MetricInputError

PRESENTATION = "presentation"


class BehavioralDataError(MetricInputError):
    """Trials or model outputs do not fit a behavioural metric; the message says what to change."""


def _coord(assembly: xr.DataArray, *names: str, required: bool = True, what: str = "trials") -> np.ndarray | None:
    for name in names:
        if name in assembly.coords:
            values = assembly[name].values
            if assembly[name].dims != (PRESENTATION,):
                raise BehavioralDataError(f"{what} coordinate {name!r} must lie on 'presentation'")
            return values
    if required:
        raise BehavioralDataError(
            f"{what} need a {names[0]!r} coordinate on 'presentation'"
            + (f" (also accepted: {', '.join(names[1:])})" if len(names) > 1 else "")
            + f"; found coords {sorted(map(str, assembly.coords))}"
        )
    return None


def _strings(values: np.ndarray) -> np.ndarray:
    """Labels as an array of strings (unicode arrays and object arrays of str are kept as they are)."""
    values = np.asarray(values)
    if values.dtype.kind == "U":
        return values
    if values.dtype.kind == "O" and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return np.asarray([str(v) for v in values.tolist()], dtype=object)


@dataclass(frozen=True)
class Trials:
    """Trial-wise arrays (all length n_trials, strings), in the assembly's order."""

    stimulus_id: np.ndarray
    truth: np.ndarray
    choice: np.ndarray
    distractor: np.ndarray | None = None
    sample: np.ndarray | None = None
    subject: np.ndarray | None = None
    condition: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.stimulus_id)


def read_trials(assembly: xr.DataArray, *, match_to_sample: bool) -> Trials:
    """Validate a human trial assembly and return its :class:`Trials`."""
    if not isinstance(assembly, xr.DataArray):
        raise BehavioralDataError(f"human trials must be an xarray.DataArray, got {type(assembly).__name__}")
    if assembly.dims != (PRESENTATION,):
        raise BehavioralDataError(
            f"human trials must have the single dim 'presentation' (one per trial), got dims {assembly.dims}"
        )
    if assembly.sizes[PRESENTATION] == 0:
        raise BehavioralDataError("human trials are empty")
    stimulus_id = _strings(_coord(assembly, "stimulus_id", "image_id"))
    truth = _strings(_coord(assembly, "truth", "sample_obj", "category"))
    choice_coord = _coord(assembly, "choice", required=False)
    choice = _strings(choice_coord if choice_coord is not None else assembly.values)
    distractor = sample = None
    if match_to_sample:
        distractor = _strings(_coord(assembly, "distractor", "dist_obj"))
        sample_coord = _coord(assembly, "sample_obj", required=False)
        sample = _strings(sample_coord) if sample_coord is not None else truth
    subject = _coord(assembly, "subject", "subj", required=False)
    condition = _coord(assembly, "condition", required=False)
    _check_truth_per_stimulus(stimulus_id, truth)
    return Trials(
        stimulus_id=stimulus_id,
        truth=truth,
        choice=choice,
        distractor=distractor,
        sample=sample,
        subject=None if subject is None else _strings(subject),
        condition=None if condition is None else _strings(condition),
    )


def _check_truth_per_stimulus(stimulus_id: np.ndarray, truth: np.ndarray) -> None:
    inverse, ids = pd.factorize(stimulus_id)
    truth_codes, _ = pd.factorize(truth)
    first = np.full(len(ids), -1)
    first[inverse[::-1]] = truth_codes[::-1]
    bad = np.flatnonzero(first[inverse] != truth_codes)
    if len(bad):
        i = bad[0]
        raise BehavioralDataError(
            f"stimulus {stimulus_id[i]!r} has more than one 'truth' across trials; each image shows one object"
        )
