"""Data layer: assemblies, stimulus sets, the checksummed store and the data registry."""
from brainmark.data.assembly import (
    align_by_stimulus,
    average_repetitions,
    make_assembly,
    validate_assembly,
)

__all__ = ["align_by_stimulus", "average_repetitions", "make_assembly", "validate_assembly"]
