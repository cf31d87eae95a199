"""The dual-bootstrap correction (Schütt, Kipnis, Diedrichsen & Kriegeskorte 2023, eLife; as rsatoolbox applies it).

Resampling stimuli and units together counts their interaction three times where the sampling variance of the
score counts it once, so the joint bootstrap's intervals are too wide. With the variances of the same statistic
under the joint (``V_b``), stimulus-only (``V_s``) and unit-only (``V_u``) resamples of ``n_s`` stimuli and
``n_u`` units, the corrected variance is

    V = n_u/(n_u-1) V_u + n_s/(n_s-1) V_s - n_s n_u / ((n_s-1)(n_u-1)) (V_b - V_u - V_s),

bounded below by each single-factor variance and above by ``V_b`` (``2 (V_s + V_u) - V_b`` when the counts are
unknown, e.g. for composites of several datasets). Each variance is estimated robustly, as (IQR / 1.349)^2. The
joint replicates are then rescaled about the point estimate
to that variance, so percentile intervals keep the bootstrap's asymmetry with the corrected width.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def _var(x: np.ndarray) -> float:
    """Robust variance, (IQR / 1.349)^2: equal to the variance for normal replicates, and not dominated by the few
    resamples whose ceiling lands near zero (ceiled replicates can be heavy-tailed)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 4:
        return math.nan
    q75, q25 = np.percentile(x, [75, 25])
    return float(((q75 - q25) / 1.3489795003921634) ** 2)


def corrected_variance(joint: np.ndarray, stimuli: np.ndarray, units: np.ndarray,
                       n_stimuli: int | None = None, n_units: int | None = None) -> float:
    """The corrected sampling variance from the three sets of replicates (see the module docstring)."""
    v_b, v_s, v_u = _var(joint), _var(stimuli), _var(units)
    if not math.isfinite(v_b):
        return math.nan
    if n_units is not None and n_units <= 1:  # only the stimuli vary
        return v_s * (n_stimuli / (n_stimuli - 1) if n_stimuli and n_stimuli > 1 else 1.0)
    if n_stimuli is not None and n_stimuli <= 1:
        return v_u * (n_units / (n_units - 1) if n_units and n_units > 1 else 1.0)
    if n_stimuli and n_units:
        a, b = n_stimuli / (n_stimuli - 1), n_units / (n_units - 1)
        variance = b * v_u + a * v_s - a * b * (v_b - v_u - v_s)
        low = max(b * v_u, a * v_s)
    else:
        variance = 2 * (v_s + v_u) - v_b
        low = max(v_s, v_u)
    return float(min(max(variance, low), v_b))


def rescaled(point: float, joint: np.ndarray, stimuli: np.ndarray, units: np.ndarray,
             n_stimuli: int | None = None, n_units: int | None = None) -> np.ndarray:
    """The joint replicates rescaled about ``point`` to the corrected variance (unchanged when it is undefined)."""
    joint = np.asarray(joint, dtype=float)
    v_b, v = _var(joint), corrected_variance(joint, stimuli, units, n_stimuli, n_units)
    if not (math.isfinite(point) and math.isfinite(v) and math.isfinite(v_b)) or v_b <= 0:
        return joint
    return point + math.sqrt(v / v_b) * (joint - point)


@dataclass(frozen=True)
class Replicates:
    """The three replicate sets of one statistic (same draws): joint, stimulus-only and unit-only resamples.

    Arithmetic on replicates (differences of two models, means over benchmarks) is done set by set, resample by
    resample; :meth:`corrected` gives the joint replicates rescaled to the corrected variance about a point value.
    """

    joint: np.ndarray
    stimuli: np.ndarray
    units: np.ndarray
    n_stimuli: int | None = None
    n_units: int | None = None

    def __sub__(self, other: "Replicates") -> "Replicates":
        same = (self.n_stimuli, self.n_units) == (other.n_stimuli, other.n_units)
        return Replicates(self.joint - other.joint, self.stimuli - other.stimuli, self.units - other.units,
                          self.n_stimuli if same else None, self.n_units if same else None)

    @staticmethod
    def mean(items: "list[Replicates]") -> "Replicates":
        """Resample-wise mean (e.g. a composite of benchmarks); the counts are no longer one data set's."""
        stack = [np.stack([getattr(i, k) for i in items]).mean(axis=0) for k in ("joint", "stimuli", "units")]
        return Replicates(*stack)

    def corrected(self, point: float) -> np.ndarray:
        """The joint replicates rescaled about ``point`` to the corrected variance."""
        return rescaled(point, self.joint, self.stimuli, self.units, self.n_stimuli, self.n_units)

    def __len__(self) -> int:
        return len(self.joint)
