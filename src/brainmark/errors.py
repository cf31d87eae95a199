"""Exceptions with messages that name the problem and what to do about it."""


class BrainmarkError(Exception):
    """Base class of brainmark's own errors."""


class AssemblyError(BrainmarkError, ValueError):
    """An assembly does not follow the conventions (dims, coords, values)."""


class AlignmentError(AssemblyError):
    """Source and target assemblies cannot be aligned by stimulus id."""
