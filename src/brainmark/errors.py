"""Exceptions with messages that name the problem and what to do about it."""


class BrainmarkError(Exception):
    """Base class of brainmark's own errors."""


class InputError(BrainmarkError, ValueError):
    """Data handed to brainmark cannot be used as given (the message says why and what to change)."""


class AssemblyError(InputError):
    """An assembly does not follow the conventions (dims, coords, values)."""


class AlignmentError(AssemblyError):
    """Source and target assemblies cannot be aligned by stimulus id."""


class MetricInputError(InputError):
    """The source, target or data of a metric or ceiling cannot be scored as given (one type for all of them)."""


class ParameterError(BrainmarkError, ValueError):
    """A metric, ceiling or benchmark was configured with an invalid parameter value."""
