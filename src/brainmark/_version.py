"""Single source of the package version (read from installed metadata when available)."""
from importlib.metadata import PackageNotFoundError, version as _dist_version

try:
    __version__ = _dist_version("brainmark")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"
