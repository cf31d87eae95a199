"""Neural metrics: predictivity (PLS, ridge, linear), internal-consistency ceilings, RSA, CKA.

Importing this package registers them: metrics ``pls``, ``ridge``, ``linear``, ``rsa``, ``cka``; ceilings
``internal_consistency``, ``rsa`` and its alias ``rdm_noise_ceiling``.
"""
from brainmark.metrics.neural._common import MetricInputError, pearson_columns, spearman_brown
from brainmark.metrics.neural.ceiling import InternalConsistency
from brainmark.metrics.neural.cka import CKA, linear_cka
from brainmark.metrics.neural.crossval import CrossValidation, aggregate, correlate_held_out
from brainmark.metrics.neural.pls import PLSRegression, fit_pls_splits
from brainmark.metrics.neural.predictivity import (
    CrossValidatedPredictivity,
    LinearPredictivity,
    PLSPredictivity,
    RidgePredictivity,
)
from brainmark.metrics.neural.regression import DEFAULT_ALPHAS, LinearRegressionLS, RidgePerTarget
from brainmark.metrics.neural.rsa import RSA, RDMNoiseCeiling, compare, kendall_tau_a, rdm
from brainmark.metrics.neural.splits import SplitScheme
from brainmark.metrics.registry import CEILINGS, METRICS

METRICS.register("pls", PLSPredictivity)
METRICS.register("ridge", RidgePredictivity)
METRICS.register("linear", LinearPredictivity)
METRICS.register("rsa", RSA)
METRICS.register("cka", CKA)
CEILINGS.register("internal_consistency", InternalConsistency)
CEILINGS.register("rsa", RDMNoiseCeiling)
CEILINGS.register("rdm_noise_ceiling", RDMNoiseCeiling)

__all__ = [
    "CKA",
    "CrossValidatedPredictivity",
    "CrossValidation",
    "DEFAULT_ALPHAS",
    "InternalConsistency",
    "LinearPredictivity",
    "LinearRegressionLS",
    "MetricInputError",
    "PLSPredictivity",
    "PLSRegression",
    "RDMNoiseCeiling",
    "RSA",
    "RidgePerTarget",
    "RidgePredictivity",
    "SplitScheme",
    "aggregate",
    "compare",
    "correlate_held_out",
    "fit_pls_splits",
    "kendall_tau_a",
    "linear_cka",
    "pearson_columns",
    "rdm",
    "spearman_brown",
]
