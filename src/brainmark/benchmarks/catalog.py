"""The built-in benchmarks and their settings (imported on first use by ``load_benchmark``).

Offline (data shipped with brainmark or on the data mirror):

- ``Kriegeskorte2008.monkeyIT-rsa`` / ``Kriegeskorte2008.humanIT-rsa``: Spearman RSA (1 - Pearson model RDM) on
  the 92 images. Layer selection uses the *other* species' IT RDM of the same images (separate recordings).
  Human IT is ceiled by the per-subject RDMs (sessions averaged; each subject vs the mean of the others); the
  monkey RDM is a single matrix without repeats, so it has no ceiling (set to 1 and said so in the score).
- ``Coggan2024.{V1,V2,V4,IT}-rsa``: Pearson RSA over all off-diagonal entries (the similarity matrices are not
  symmetric). Subjects are split: layer selection on the first 4 subjects, score and ceiling (each subject vs the
  mean of the others) on the other 5.
- ``Cowley2023.V4-pls``: PLS predictivity of session 210325 (640 images, repeat-averaged), ceiling = internal
  consistency of its raw repeats; layer selection by the same metric on session 201025 (a seeded sample of 600 of its
  1,200 other images, features reduced to 1,000 random projections as the official PCA-1000 selection did). The
  data have no object labels, so the cross-validation uses plain (unstratified) shuffle splits.
- ``Geirhos2021{edge,silhouette}-error_consistency``: error consistency (Cohen's kappa) of the model's 16-class
  decisions with each human, ceiling = human-to-human kappa. ``...-accuracy``: the official accuracy distance to
  each human's accuracy (ceiling 1); reported but left out of the composites (it measures performance, not
  consistency with humans).

- ``Hermann2020cueconflict-shape_bias`` / ``-shape_match``: the official, human-free shape bias / shape match of the
  model's 16-class decisions on the 1,280 cue-conflict images (Geirhos 2019; ceiling 1; reported, not in composites).
  ``Geirhos2021cueconflict-error_consistency``: error consistency with the 10 uninstructed subjects (correct = the
  shape class). ``Geirhos2021cueconflict-shape_bias``: 1 - |SB_model - SB_subject| averaged over subjects, ceiled by
  each subject against the others (in the composites). All four share one forward pass
  (:mod:`brainmark.benchmarks.cue_conflict`) and record the human range of the instructed conditions.
- ``Mur2013.judgements-rsa``: Spearman RSA of the model's IT RDM with the 16 subjects' similarity-judgement RDMs of
  the 92 Kriegeskorte images (Mur et al. 2013); ceiling = the RDM noise ceiling (lower bound; upper in ``meta``).
  Behavioural. The layer is committed on the human IT fMRI RDM (group average) of the same images, never on the
  judgements.

Official (data online only; they fail here with the data store's "no network / set a mirror" error):
``MajajHong2015.{V4,IT}-pls`` (private data, layer selection on public data), ``MajajHong2015public.{V4,IT}-pls``
(public variation-3 images; layer selection on the public variation-0 images, so never on the scored images),
``Rajalingham2018-i2n`` and ``Rajalingham2018public-i2n`` (I2n; readout fitted on public images that were not
tested). All: 8 degrees, PLS with 25 components, 10 splits, internal-consistency ceiling, 50 trials (neural).

Every benchmark presents its images at 8 degrees of visual angle (the Brain-Score default) unless stated.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import xarray as xr

from brainmark.benchmarks._data import load_dataset, select_region
from brainmark.benchmarks.base import BEHAVIORAL, NEURAL, register_benchmark
from brainmark.benchmarks.behavioral import GeirhosBenchmark, I2nBenchmark
from brainmark.benchmarks.cue_conflict import CueConflictBenchmark
from brainmark.benchmarks.neural import NeuralPredictivityBenchmark
from brainmark.benchmarks.rsa import RSABenchmark

DEGREES = 8.0
COGGAN_SELECTION_SUBJECTS = 4


def _bibtex(dataset: str) -> str:
    from brainmark.datasets import dataset_info

    try:
        return dataset_info(dataset).citation
    except KeyError:
        return ""


# --- Kriegeskorte 2008 ------------------------------------------------------------------------------------------
def _kriegeskorte(identifier: str, species: str, convention: str = "ratio") -> RSABenchmark:
    human, monkey = "Kriegeskorte2008.humanIT.subjects", "Kriegeskorte2008.monkeyIT"
    if species == "human":
        target, selection, datasets = human, monkey, (human, monkey, "Kriegeskorte2008")
        description = "human IT fMRI RDMs (4 subjects, sessions averaged) vs the model's IT RDM on 92 images; Spearman"
        selection_description = "Spearman RSA with the monkey IT RDM (Kiani 2007) of the same images"
    else:
        target, selection, datasets = monkey, "Kriegeskorte2008.humanIT", (monkey, "Kriegeskorte2008.humanIT", "Kriegeskorte2008")
        description = "monkey IT RDM (674 neurons) vs the model's IT RDM on 92 images; Spearman; no ceiling"
        selection_description = "Spearman RSA with the human IT RDM (group average) of the same images"
    return RSABenchmark(
        identifier, region="IT", target=partial(load_dataset, target), selection_target=partial(load_dataset, selection),
        stimulus_set="Kriegeskorte2008", datasets=datasets, comparator="spearman", distance="correlation",
        ceiled_by_subjects=species == "human", visual_degrees=DEGREES, bibtex=_bibtex(target), description=description,
        selection_description=selection_description,
        no_ceiling_reason="a single monkey RDM without repetitions or per-animal matrices", convention=convention,
    )


# --- Coggan 2024 ------------------------------------------------------------------------------------------------
def _coggan_matrices(region: str, part: str) -> xr.DataArray:
    data = load_dataset("Coggan2024.fMRI").sel(region=region, drop=True)
    subjects = sorted(str(s) for s in data["subject"].values)
    chosen = subjects[:COGGAN_SELECTION_SUBJECTS] if part == "selection" else subjects[COGGAN_SELECTION_SUBJECTS:]
    mask = np.isin(data["subject"].values.astype(str), chosen)
    return data.isel(subject=np.flatnonzero(mask))


def _coggan(identifier: str, region: str, convention: str = "ratio") -> RSABenchmark:
    return RSABenchmark(
        identifier, region=region, target=partial(_coggan_matrices, region, "scored"),
        selection_target=partial(_coggan_matrices, region, "selection"), stimulus_set="Coggan2024",
        datasets=("Coggan2024.fMRI", "Coggan2024"), comparator="pearson", distance="correlation",
        visual_degrees=DEGREES, bibtex=_bibtex("Coggan2024.fMRI"),
        description=f"human fMRI {region} similarity matrices of 24 occluded objects (5 scored subjects); Pearson over all off-diagonal entries",
        selection_description=f"Pearson RSA with the {region} matrices of the first {COGGAN_SELECTION_SUBJECTS} subjects (not scored)",
        convention=convention,
    )


# --- Cowley 2023 ------------------------------------------------------------------------------------------------
#: Layer selection needs fewer images than the reported score: a seeded sample of the selection session keeps the
#: main job within minutes on a laptop CPU.
COWLEY_SELECTION_IMAGES = 600


def _subsample(dataset: str, n: int, seed: int = 0) -> xr.DataArray:
    """A seeded sample of ``n`` presentations (in their original order)."""
    data = load_dataset(dataset)
    if data.sizes["presentation"] <= n:
        return data
    keep = np.sort(np.random.RandomState(seed).choice(data.sizes["presentation"], n, replace=False))
    return data.isel(presentation=keep)


def _cowley(identifier: str, convention: str = "ratio") -> NeuralPredictivityBenchmark:
    return NeuralPredictivityBenchmark(
        identifier, region="V4", target=partial(load_dataset, "Cowley2023.210325"), stimulus_set="Cowley2023.210325",
        selection_target=partial(_subsample, "Cowley2023.201025", COWLEY_SELECTION_IMAGES),
        selection_stimulus_set="Cowley2023.201025",
        datasets=("Cowley2023.210325", "Cowley2023.201025"), metric="pls", metric_params={"stratify_on": None},
        ceiling="internal_consistency",
        visual_degrees=DEGREES, bibtex=_bibtex("Cowley2023.210325"),
        description="macaque V4 (session 210325, 50 sites, 640 images); PLS; internal-consistency ceiling; unstratified splits",
        selection_description=f"PLS on session 201025 (89 sites; a seeded sample of {COWLEY_SELECTION_IMAGES} of its 1,200 other images)",
        convention=convention,
    )


# --- Geirhos 2021 -----------------------------------------------------------------------------------------------
def _geirhos(identifier: str, dataset: str, metric: str, convention: str = "ratio") -> GeirhosBenchmark:
    consistency = metric == "error_consistency"
    return GeirhosBenchmark(
        identifier, dataset=f"Geirhos2021.{dataset}", stimulus_set=f"Geirhos2021.{dataset}", metric=metric,
        metric_params={} if consistency else {"reference": "human"},
        ceiling="error_consistency" if consistency else None, visual_degrees=DEGREES,
        bibtex=_bibtex(f"Geirhos2021.{dataset}"), in_composites=consistency, convention=convention,
        description=(f"16-class decisions on {dataset} images vs 10 humans: "
                     + ("error consistency (Cohen's kappa)" if consistency else "accuracy distance (not in composites)")),
    )


# --- Geirhos 2019 cue conflict -----------------------------------------------------------------------------------
_CUE_CONFLICT = {
    "Hermann2020cueconflict-shape_bias": dict(metric="shape_bias", target="stimuli", with_human_range=True,
                                              in_composites=False),
    "Hermann2020cueconflict-shape_match": dict(metric="shape_match", target="stimuli", in_composites=False),
    "Geirhos2021cueconflict-error_consistency": dict(metric="error_consistency", ceiling="error_consistency"),
    "Geirhos2021cueconflict-shape_bias": dict(metric="shape_bias_agreement", ceiling="shape_bias_agreement",
                                              with_human_range=True),
}
_CUE_CONFLICT_DESCRIPTIONS = {
    "Hermann2020cueconflict-shape_bias": "official: the model's shape bias on 1,200 conflict images (ceiling 1; not in composites)",
    "Hermann2020cueconflict-shape_match": "official: the model's shape match (accuracy vs shape; ceiling 1; not in composites)",
    "Geirhos2021cueconflict-error_consistency": "16-class decisions on 1,280 cue-conflict images vs 10 humans: error consistency",
    "Geirhos2021cueconflict-shape_bias": "shape bias vs 10 humans: 1 - |SB_model - SB_human|, ceiled by human vs others",
}


def _cue_conflict(identifier: str, convention: str = "ratio") -> CueConflictBenchmark:
    return CueConflictBenchmark(identifier, visual_degrees=DEGREES, bibtex=_bibtex("Geirhos2021.cue-conflict"),
                                description=_CUE_CONFLICT_DESCRIPTIONS[identifier], convention=convention,
                                **_CUE_CONFLICT[identifier])


# --- Mur 2013 similarity judgements -------------------------------------------------------------------------------
def _mur2013(identifier: str, convention: str = "ratio") -> RSABenchmark:
    target, selection = "Kriegeskorte2008.judgements", "Kriegeskorte2008.humanIT"
    return RSABenchmark(
        identifier, region=None, kind=BEHAVIORAL, recording_region="IT", target=partial(load_dataset, target),
        selection_target=partial(load_dataset, selection), stimulus_set="Kriegeskorte2008",
        datasets=(target, selection, "Kriegeskorte2008"), comparator="spearman", distance="correlation",
        visual_degrees=DEGREES, bibtex=_bibtex(target), convention=convention,
        description="similarity-judgement RDMs of 16 humans (Mur et al. 2013) vs the model's IT RDM on 92 images; Spearman",
        selection_description="Spearman RSA with the human IT fMRI RDM (group average) of the same images",
    )


# --- Official (online only) -------------------------------------------------------------------------------------
def _variation(dataset: str, values: tuple[int, ...]) -> xr.DataArray:
    data = load_dataset(dataset)
    variation = np.asarray(data["variation"].values).astype(float)
    return data.isel(presentation=np.flatnonzero(np.isin(variation, values)))


def _majajhong(identifier: str, region: str, public: bool, convention: str = "ratio") -> NeuralPredictivityBenchmark:
    if public:
        target = partial(_variation, "MajajHong2015.public", (3,))
        selection = partial(_variation, "MajajHong2015.public", (0,))
        stimuli = selection_stimuli = "MajajHong2015.public"
        selection_description = "PLS on the public variation-0 images (the scored ones are variation 3)"
    else:
        target, selection = partial(load_dataset, "MajajHong2015.private"), partial(load_dataset, "MajajHong2015.public")
        stimuli, selection_stimuli = "MajajHong2015.private", "MajajHong2015.public"
        selection_description = "PLS on the public MajajHong2015 images"
    return NeuralPredictivityBenchmark(
        identifier, region=region, target=target, stimulus_set=stimuli, selection_target=selection,
        selection_stimulus_set=selection_stimuli, datasets=(stimuli, selection_stimuli) if not public else (stimuli,),
        metric="pls", ceiling="internal_consistency", visual_degrees=8.0, number_of_trials=50,
        bibtex=_bibtex("MajajHong2015.public"), offline=False, selection_description=selection_description,
        description=f"macaque {region} (Majaj, Hong et al. 2015{', public' if public else ''}); PLS; internal consistency",
        convention=convention,
    )


def _rajalingham(identifier: str, public: bool, convention: str = "ratio") -> I2nBenchmark:
    split = "public" if public else "private"
    return I2nBenchmark(
        identifier, dataset=f"Rajalingham2018.{split}", stimulus_set=f"Rajalingham2018.{split}",
        fitting_stimulus_set="Rajalingham2018.public", metric="i2n", ceiling="i2n", visual_degrees=8.0,
        metric_params={"fa_rule": "official"}, ceiling_params={"fa_rule": "official"},
        number_of_trials=2, bibtex=_bibtex("Rajalingham2018.public"), offline=False, convention=convention,
        description=f"human I2n on {split} objectome images; readout fitted on public images that are not tested",
    )


def _register_all() -> None:
    entries: list[tuple[str, Any, dict[str, Any]]] = [
        ("Kriegeskorte2008.humanIT-rsa", _kriegeskorte, {"species": "human", "region": "IT"}),
        ("Kriegeskorte2008.monkeyIT-rsa", _kriegeskorte, {"species": "monkey", "region": "IT"}),
        *[(f"Coggan2024.{r}-rsa", _coggan, {"region": r}) for r in ("V1", "V2", "V4", "IT")],
        ("Cowley2023.V4-pls", _cowley, {"region": "V4"}),
        *[(f"Geirhos2021{d}-{m}", _geirhos, {"dataset": d, "metric": m})
          for d in ("edge", "silhouette") for m in ("error_consistency", "accuracy")],
    ]
    for identifier, build, params in entries:
        region = params.get("region")
        kind = BEHAVIORAL if build is _geirhos else NEURAL
        build_params = {k: v for k, v in params.items() if not (k == "region" and build is not _coggan)}
        register_benchmark(identifier, build, offline=True, kind=kind, region=region,
                           description=_DESCRIPTIONS.get(build.__name__, ""), params=build_params)
    for identifier in _CUE_CONFLICT:
        register_benchmark(identifier, _cue_conflict, offline=True, kind=BEHAVIORAL,
                           description=_CUE_CONFLICT_DESCRIPTIONS[identifier])
    register_benchmark("Mur2013.judgements-rsa", _mur2013, offline=True, kind=BEHAVIORAL,
                       description="human similarity judgements (Mur et al. 2013) vs the model's IT RDM, 92 images")
    for region in ("V4", "IT"):
        register_benchmark(f"MajajHong2015.{region}-pls", partial(_majajhong, region=region, public=False), offline=False,
                           kind=NEURAL, region=region, description="official: MajajHong2015 private, PLS (data online only)")
        register_benchmark(f"MajajHong2015public.{region}-pls", partial(_majajhong, region=region, public=True),
                           offline=False, kind=NEURAL, region=region,
                           description="official: MajajHong2015 public, PLS (data online only)")
    register_benchmark("Rajalingham2018-i2n", partial(_rajalingham, public=False), offline=False, kind=BEHAVIORAL,
                       description="official: I2n on private objectome images (data online only)")
    register_benchmark("Rajalingham2018public-i2n", partial(_rajalingham, public=True), offline=False, kind=BEHAVIORAL,
                       description="official: I2n on public objectome images (data online only)")


_DESCRIPTIONS = {
    "_kriegeskorte": "IT RSA on 92 images (Kriegeskorte 2008 / Kiani 2007)",
    "_coggan": "fMRI RSA on 24 occluded objects (Coggan & Tong 2024)",
    "_cowley": "V4 PLS predictivity (Cowley et al. 2023, session 210325)",
    "_geirhos": "16-class decisions vs humans (Geirhos et al. 2021)",
}

_register_all()
