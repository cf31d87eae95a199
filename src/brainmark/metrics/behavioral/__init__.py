"""Behavioural metrics: I2n family (Rajalingham 2018), accuracy and error consistency (Geirhos).

Importing this package registers into :data:`brainmark.metrics.METRICS` / :data:`~brainmark.metrics.CEILINGS`:
metrics ``i2n``, ``i1n``, ``i2``, ``o2`` (model probabilities vs match-to-sample trials), ``accuracy`` and
``error_consistency`` (model decisions vs 16-way classification trials), ``shape_bias``, ``shape_match`` and
``texture_match`` (cue-conflict decisions, Geirhos 2019) and ``shape_bias_agreement`` (a model's shape bias vs each
human's); ceilings ``i2n``, ``i1n``, ``i2``, ``o2`` (human split-half reliability), ``error_consistency``
(human-to-human kappa) and ``shape_bias_agreement`` (each human vs the others).
"""
from __future__ import annotations

from functools import partial

from brainmark.metrics.behavioral import imagenet16
from brainmark.metrics.behavioral.cue_conflict import ShapeBias
from brainmark.metrics.behavioral.geirhos import Accuracy, ErrorConsistency, ErrorConsistencyCeiling, cohens_kappa
from brainmark.metrics.behavioral.i2n import VARIANTS, I2n, I2nCeiling
from brainmark.metrics.behavioral.shape_bias_agreement import ShapeBiasAgreement, ShapeBiasAgreementCeiling
from brainmark.metrics.behavioral.trials import BehavioralDataError
from brainmark.metrics.registry import CEILINGS, METRICS

for _variant in VARIANTS:
    METRICS.register(_variant, partial(I2n, _variant))
    CEILINGS.register(_variant, partial(I2nCeiling, _variant))
METRICS.register("accuracy", Accuracy)
METRICS.register("error_consistency", ErrorConsistency)
CEILINGS.register("error_consistency", ErrorConsistencyCeiling)
METRICS.register("shape_bias", ShapeBias)
for _statistic in ("shape_match", "texture_match"):
    METRICS.register(_statistic, partial(ShapeBias, statistic=_statistic))
METRICS.register("shape_bias_agreement", ShapeBiasAgreement)
CEILINGS.register("shape_bias_agreement", ShapeBiasAgreementCeiling)

__all__ = [
    "Accuracy", "BehavioralDataError", "ErrorConsistency", "ErrorConsistencyCeiling", "I2n", "I2nCeiling",
    "ShapeBias", "ShapeBiasAgreement", "ShapeBiasAgreementCeiling", "cohens_kappa", "imagenet16",
]
