"""Bring your own data: a neural benchmark built from a user's recordings and images.

File formats
------------
- Recordings (``--data``): a netCDF file holding one ``xarray.DataArray`` with dims ``presentation x neuroid``
  or ``presentation x neuroid x repetition`` (NaN for missing repeats), a ``stimulus_id`` coordinate on
  ``presentation`` (strings; one presentation per stimulus, or repeated ids that are averaged), optionally
  ``neuroid_id`` and ``region`` on ``neuroid``. Write it with ``assembly.to_netcdf("rec.nc")``.
- Stimuli (``--stimuli``): a CSV with a ``stimulus_id`` column and an image path column (``image_path``,
  ``filename`` or ``path``; relative paths are relative to the CSV's folder); other columns are metadata
  (``object_name`` is used to stratify the cross-validation splits when present).

- Representational matrices (``--data`` with ``--metric rsa``): a netCDF DataArray with dims
  ``[subject x] stimulus_row x stimulus_col`` (stimulus ids as the row and column coordinates; attrs ``kind`` =
  ``dissimilarity`` (default) or ``similarity`` and ``symmetric`` = 1 (default) or 0, as netCDF has no booleans),
  e.g. one RDM per subject.

Layers are committed on a seeded random half of the stimuli (``SELECTION_SEED``) and the score is computed on
the other half, so the reported number never comes from the data that chose the layer. The ceiling is the
internal consistency of the scored half when the recordings have repetitions (RSA: the RDM noise ceiling's lower
bound when there are several subjects); otherwise there is none.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from brainmark.benchmarks.base import BenchmarkError, register_benchmark
from brainmark.benchmarks.neural import NeuralPredictivityBenchmark
from brainmark.benchmarks.rsa import RSABenchmark
from brainmark.data.assembly import validate_assembly
from brainmark.data.stimuli import StimulusSet

SELECTION_SEED = 0
#: How benchmarks (and stimulus sets) on a user's own data are named: ``custom.<file>.<region>-<metric>``.
USER_DATA_PREFIX = "custom."
PATH_COLUMNS = ("image_path", "filename", "path")


def load_recordings(path: str | Path) -> xr.DataArray:
    """Read and check a user's recordings (see the module docstring for the format)."""
    path = Path(path)
    if not path.is_file():
        raise BenchmarkError(f"recordings file {path} does not exist")
    try:
        data = xr.load_dataarray(path)
    except ValueError:
        dataset = xr.load_dataset(path)
        if len(dataset.data_vars) != 1:
            raise BenchmarkError(f"{path} holds {len(dataset.data_vars)} variables; save exactly one DataArray "
                                 "(presentation x neuroid [x repetition])") from None
        data = next(iter(dataset.data_vars.values()))
    except OSError as exc:
        raise BenchmarkError(f"cannot read {path} as netCDF: {exc}") from exc
    if "neuroid_id" not in data.coords and "neuroid" in data.dims:
        data = data.assign_coords(neuroid_id=("neuroid", [str(i) for i in range(data.sizes["neuroid"])]))
    if "stimulus_id" in data.coords:
        data = data.assign_coords(stimulus_id=("presentation", data["stimulus_id"].values.astype(str)))
    try:
        return validate_assembly(data, allow_nan=True, name=f"recordings {path.name}")
    except ValueError as exc:
        raise BenchmarkError(f"{exc}. Expected a netCDF DataArray with dims presentation x neuroid [x repetition] "
                             "and a stimulus_id coordinate on presentation") from exc


def load_stimuli_csv(path: str | Path, degrees: float) -> StimulusSet:
    """Read a user's stimulus CSV (``stimulus_id`` + an image path column) into a :class:`StimulusSet`."""
    path = Path(path)
    if not path.is_file():
        raise BenchmarkError(f"stimuli file {path} does not exist")
    table = pd.read_csv(path, dtype={"stimulus_id": str})
    if "stimulus_id" not in table.columns:
        raise BenchmarkError(f"{path} has no stimulus_id column (columns: {list(table.columns)})")
    column = next((c for c in PATH_COLUMNS if c in table.columns), None)
    if column is None:
        raise BenchmarkError(f"{path} has no image path column; name one of {', '.join(PATH_COLUMNS)}")
    paths = [(Path(p) if Path(p).is_absolute() else path.parent / p).resolve() for p in table[column].astype(str)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise BenchmarkError(f"{len(missing)} image(s) listed in {path} do not exist, e.g. {missing[:3]}")
    table = table.drop(columns=[column]).assign(image_path=[str(p) for p in paths])
    return StimulusSet(f"{USER_DATA_PREFIX}{path.stem}", table, degrees=degrees)


def split_stimuli(stimulus_ids: list[str], seed: int = SELECTION_SEED) -> tuple[list[str], list[str]]:
    """(selection, scored) halves of the unique stimulus ids, seeded."""
    ids = sorted(set(stimulus_ids))
    if len(ids) < 8:
        raise BenchmarkError(f"only {len(ids)} stimuli: need at least 8 to choose a layer on half and score the other half")
    order = np.random.RandomState(seed).permutation(len(ids))
    half = len(ids) // 2
    return sorted(ids[i] for i in order[:half]), sorted(ids[i] for i in order[half:])


def load_matrices(path: str | Path) -> xr.DataArray:
    """Read and check a user's representational matrices (``[subject x] stimulus_row x stimulus_col``)."""
    from brainmark.metrics.neural.rsa import COL, ROW

    path = Path(path)
    if not path.is_file():
        raise BenchmarkError(f"matrices file {path} does not exist")
    try:
        data = xr.load_dataarray(path)
    except (ValueError, OSError) as exc:
        raise BenchmarkError(f"cannot read {path} as a netCDF DataArray of matrices: {exc}") from exc
    if data.dims[-2:] != (ROW, COL) or not set(data.dims[:-2]) <= {"subject", "session"}:
        raise BenchmarkError(f"{path} has dims {data.dims}; expected [subject x] {ROW} x {COL} "
                             "(stimulus ids as coordinates) for --metric rsa")
    data = data.assign_coords({ROW: data[ROW].values.astype(str), COL: data[COL].values.astype(str)})
    data.attrs.setdefault("kind", "dissimilarity")
    data.attrs["symmetric"] = bool(data.attrs.get("symmetric", True))
    return data


def custom_rsa_benchmark(data: str | Path, stimuli: str | Path, *, region: str | None = None, degrees: float = 8.0,
                         identifier: str | None = None, convention: str = "ratio", comparator: str = "spearman",
                         distance: str = "correlation") -> RSABenchmark:
    """An RSA benchmark on your matrices and stimuli: layer chosen on a seeded half of the stimuli, scored on the other."""
    from brainmark.metrics.neural.rsa import COL, ROW

    matrices = load_matrices(data)
    stimulus_set = load_stimuli_csv(stimuli, degrees)
    ids = [str(s) for s in matrices[ROW].values]
    unknown = sorted(set(ids) - set(stimulus_set.stimulus_ids))
    if unknown:
        raise BenchmarkError(f"{len(unknown)} stimulus ids of the matrices are not in {stimuli}, e.g. {unknown[:3]}")
    region = region or str(matrices.attrs.get("region", "IT"))
    selection_ids, scored_ids = split_stimuli(ids)
    part = {name: matrices.sel({ROW: keep, COL: keep}) for name, keep in (("selection", selection_ids), ("scored", scored_ids))}
    subjects = matrices.sizes.get("subject", 1)
    return RSABenchmark(
        identifier or f"{USER_DATA_PREFIX}{Path(data).stem}.{region}-rsa", region=region, target=lambda: part["scored"],
        selection_target=lambda: part["selection"], stimulus_set=stimulus_set, datasets=(), comparator=comparator,
        distance=distance, ceiled_by_subjects=subjects > 1, visual_degrees=degrees, same_stimuli=False,
        description=f"your matrices {Path(data).name} ({region}, {subjects} subject(s)), {comparator} RSA",
        selection_description=f"{comparator} RSA on a seeded half of the stimuli (seed {SELECTION_SEED})",
        no_ceiling_reason="a single matrix (no subjects to estimate a noise ceiling)", convention=convention,
    )


def custom_benchmark(data: str | Path, stimuli: str | Path, *, metric: str = "pls", region: str | None = None,
                     degrees: float = 8.0, identifier: str | None = None,
                     convention: str = "ratio") -> NeuralPredictivityBenchmark | RSABenchmark:
    """A PLS/ridge/linear predictivity (or, with ``metric="rsa"``, RSA) benchmark on your data and stimuli
    (layer chosen on a seeded half of the stimuli, scored on the other half)."""
    if metric == "rsa":
        return custom_rsa_benchmark(data, stimuli, region=region, degrees=degrees, identifier=identifier,
                                    convention=convention)
    recordings = load_recordings(data)
    stimulus_set = load_stimuli_csv(stimuli, degrees)
    ids = recordings["stimulus_id"].values.astype(str)
    unknown = sorted(set(ids) - set(stimulus_set.stimulus_ids))
    if unknown:
        raise BenchmarkError(f"{len(unknown)} stimulus ids of the recordings are not in {stimuli}, e.g. {unknown[:3]}")
    if region is None:
        regions = sorted(set(recordings["region"].values.astype(str))) if "region" in recordings.coords else []
        region = regions[0] if len(regions) == 1 else "IT"
    if "region" not in recordings.coords:
        recordings = recordings.assign_coords(region=("neuroid", [region] * recordings.sizes["neuroid"]))
    selection_ids, scored_ids = split_stimuli(list(ids))
    scored = recordings.isel(presentation=np.flatnonzero(np.isin(ids, scored_ids)))
    selection = recordings.isel(presentation=np.flatnonzero(np.isin(ids, selection_ids)))
    identifier = identifier or f"{USER_DATA_PREFIX}{Path(data).stem}.{region}-{metric}"
    return NeuralPredictivityBenchmark(
        identifier, region=region, target=lambda: scored, stimulus_set=stimulus_set,
        selection_target=lambda: selection, selection_stimulus_set=stimulus_set, datasets=(), metric=metric,
        metric_params={} if "object_name" in recordings.coords else {"stratify_on": None},
        visual_degrees=degrees, description=f"your recordings {Path(data).name} ({region}), {metric}",
        selection_description=f"{metric} on a seeded half of the stimuli (seed {SELECTION_SEED})", convention=convention,
    )


def register_custom_benchmark(data: str | Path, stimuli: str | Path, *, metric: str = "pls", region: str | None = None,
                              degrees: float = 8.0) -> str:
    """Register the user's data as a benchmark for this process (checked now) and return its identifier."""
    benchmark = custom_benchmark(data, stimuli, metric=metric, region=region, degrees=degrees)
    identifier = benchmark.identifier

    def build(identifier: str, convention: str = "ratio") -> NeuralPredictivityBenchmark | RSABenchmark:
        return custom_benchmark(data, stimuli, metric=metric, region=region, degrees=degrees, identifier=identifier,
                                convention=convention)

    register_benchmark(identifier, build, offline=True, kind="neural", region=benchmark.region,
                       description=benchmark.description, replace=True)
    return identifier
