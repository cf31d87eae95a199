"""Cross-validation splits over stimuli, generated exactly as the official Brain-Score code does.

Defaults: ``StratifiedShuffleSplit(n_splits=10, train_size=0.9, random_state=1)`` stratified on ``object_name``
when the target has it, else ``ShuffleSplit`` with the same arguments; ``kfold=True`` gives (Stratified)KFold
with shuffling. Splits index the target's presentations in the order given (after repetition averaging).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from brainmark.metrics.neural._common import MetricInputError


@dataclass(frozen=True)
class SplitScheme:
    """How to split stimuli into train and test sets (scikit-learn splitters, seeded)."""

    n_splits: int = 10
    train_size: float = 0.9
    kfold: bool = False
    stratify_on: str | None = "object_name"
    random_state: int = 1

    def __post_init__(self) -> None:
        if int(self.n_splits) < 1 or (self.kfold and int(self.n_splits) < 2):
            raise MetricInputError(f"n_splits must be >= 1 (>= 2 for k-fold), got {self.n_splits}")
        if not self.kfold and not 0 < float(self.train_size) < 1:
            raise MetricInputError(f"train_size must be in (0, 1), got {self.train_size}")

    def split(self, n: int, labels: Sequence[Any] | None = None) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict]:
        """Return ``[(train_indices, test_indices), ...]`` over ``n`` stimuli and a record of the scheme used."""
        stratified = labels is not None
        if stratified:
            labels = np.asarray(labels)
            _, counts = np.unique(labels, return_counts=True)
            if counts.min() < 2:
                raise MetricInputError(
                    f"cannot stratify on {self.stratify_on!r}: some values occur once; pass stratify_on=None"
                )
        if self.kfold:
            cls = StratifiedKFold if stratified else KFold
            splitter = cls(n_splits=int(self.n_splits), shuffle=True, random_state=self.random_state)
        else:
            cls = StratifiedShuffleSplit if stratified else ShuffleSplit
            splitter = cls(n_splits=int(self.n_splits), train_size=float(self.train_size), random_state=self.random_state)
        try:
            splits = list(splitter.split(np.zeros(n), labels if stratified else None))
        except ValueError as err:
            raise MetricInputError(f"cannot split {n} stimuli with {cls.__name__}: {err}") from None
        record = {
            "splitter": cls.__name__,
            "n_splits": int(self.n_splits),
            "train_size": None if self.kfold else float(self.train_size),
            "stratified_on": self.stratify_on if stratified else None,
            "random_state": self.random_state,
        }
        return splits, record

    def labels_for(self, target) -> np.ndarray | None:
        """The stratification labels of ``target`` (presentation coord ``stratify_on``), or None to not stratify."""
        if self.stratify_on and self.stratify_on in target.coords and target[self.stratify_on].dims == ("presentation",):
            return np.asarray(target[self.stratify_on].values)
        return None
