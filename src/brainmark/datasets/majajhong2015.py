"""Majaj, Hong et al. 2015: macaque V4 and IT multi-unit responses to 5,760 HvM images (official Brain-Score files).

Online only: downloaded from the Brain-Score bucket (or a mirror folder holding ``brainio-brainscore/<file>``) and
SHA-1 verified. Loaded as ``presentation x neuroid x repetition`` (NaN-padded where repetition counts differ),
with the single 70-170 ms time bin squeezed out and recorded in ``attrs``.
"""
from __future__ import annotations

import xarray as xr

from brainmark.data.brainio import merge_stimulus_metadata, read_netcdf_assembly, to_neural_assembly
from brainmark.data.registry import Files, load_stimulus_set
from brainmark.datasets._official import official_file, register_official

CITATION = """@article{majajhong2015simple,
  title={Simple learned weighted sums of inferior temporal neuronal firing rates accurately predict human core object recognition performance},
  author={Majaj, Najib J and Hong, Ha and Solomon, Ethan A and DiCarlo, James J},
  journal={Journal of Neuroscience}, volume={35}, number={39}, pages={13402--13418}, year={2015}
}"""
ASSEMBLIES = {
    "public": official_file("assy_dicarlo_MajajHong2015_public.nc", "13d28ca0ce88ee550b54db3004374ae19096e9b9"),
    "private": official_file("assy_dicarlo_MajajHong2015_private.nc", "7a40d16148d6f82939155f0bd976d310857fb156"),
}
STIMULI = {
    "public": (official_file("stimulus_hvm-public.csv", "5ca7a3da00d8e9c694a9cd725df5ba0ad6d735af"),
               official_file("stimulus_hvm-public.zip", "8aa44e038d7b551efa8077467622f9d48d72e473", archive=True)),
    "private": (official_file("stimulus_hvm-private.csv", "6ff4981722fa05feb73a2bd26bbbba8b50dc29a6"),
                official_file("stimulus_hvm-private.zip", "d7b1ca1876dad87e15b0242b4c82c0203ff3cbd3", archive=True)),
}
METADATA = ["object_name", "category_name", "variation"]


def _assembly(split: str):
    def load(files: Files) -> xr.DataArray:
        assembly = to_neural_assembly(read_netcdf_assembly(files.path(ASSEMBLIES[split].name)))
        if any(c not in assembly.coords for c in METADATA):
            assembly = merge_stimulus_metadata(assembly, load_stimulus_set(f"MajajHong2015.{split}"), METADATA)
        assembly.attrs.update(identifier=f"MajajHong2015.{split}", stimulus_set=f"MajajHong2015.{split}")
        return assembly
    return load


for _split, _desc in (("public", "variations 0 and 3 (3,200 images)"), ("private", "variation 6 (2,560 images)")):
    register_official(
        f"MajajHong2015.{_split}", "neural", _assembly(_split), ASSEMBLIES[_split], STIMULI[_split], citation=CITATION,
        description=f"macaque V4 (88) and IT (168) sites, {_desc}; official Brain-Score file",
        shape="presentation x neuroid x repetition (NaN-padded)",
        stimuli_description=f"HvM images, {_desc}; 8 degrees",
        stimuli_shape="3200 images" if _split == "public" else "2560 images")
