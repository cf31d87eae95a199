import numpy as np
import pytest
import xarray as xr

from brainmark.data import align_by_stimulus, average_repetitions, make_assembly, validate_assembly
from brainmark.errors import AlignmentError, AssemblyError


def test_make_and_validate():
    a = make_assembly(np.ones((3, 2)), ["a", "b", "c"], ["n0", "n1"], "IT")
    assert a.dims == ("presentation", "neuroid")
    assert list(a["region"].values) == ["IT", "IT"]


def test_errors_name_the_problem():
    with pytest.raises(AssemblyError, match="stimulus_id"):
        validate_assembly(xr.DataArray(np.ones((2, 2)), dims=("presentation", "neuroid")))
    with pytest.raises(AssemblyError, match="duplicated stimulus_id"):
        make_assembly(np.ones((2, 1)), ["a", "a"], ["n"], "V4") and validate_assembly(
            make_assembly(np.ones((2, 1)), ["a", "a"], ["n"], "V4")
        )
    a = make_assembly(np.array([[np.nan], [1.0]]), ["a", "b"], ["n"], "V4")
    with pytest.raises(AssemblyError, match="NaN"):
        validate_assembly(a)


def test_average_repetitions_nan_aware():
    values = np.array([[[1.0, 3.0, np.nan]], [[2.0, np.nan, np.nan]]])  # 2 stimuli x 1 neuroid x 3 reps
    a = make_assembly(values, ["a", "b"], ["n"], "V4", extra_dims=["repetition"])
    m = average_repetitions(a)
    np.testing.assert_allclose(m.values[:, 0], [2.0, 2.0])
    flat = xr.DataArray(
        np.array([[1.0], [5.0], [3.0]]),
        dims=("presentation", "neuroid"),
        coords={"stimulus_id": ("presentation", ["x", "y", "x"]), "neuroid_id": ("neuroid", ["n"]),
                "repetition": ("presentation", [0, 0, 1])},
    )
    m = average_repetitions(flat)
    assert list(m["stimulus_id"].values) == ["x", "y"]
    np.testing.assert_allclose(m.values[:, 0], [2.0, 5.0])
    assert "repetition" not in m.coords


def test_align():
    s = make_assembly(np.arange(3.0)[:, None], ["c", "a", "b"], ["f"])
    t = make_assembly(np.zeros((2, 1)), ["a", "b"], ["n"])
    assert list(align_by_stimulus(s, t)["stimulus_id"].values) == ["a", "b"]
    t2 = make_assembly(np.zeros((2, 1)), ["a", "zz"], ["n"])
    with pytest.raises(AlignmentError, match="zz"):
        align_by_stimulus(s, t2)
