"""The errors of obtaining data files (raised by the store and the archive extraction; all ``DataFetchError``)."""
from __future__ import annotations

from brainmark.errors import BrainmarkError


class DataFetchError(BrainmarkError, OSError):
    """A data file could not be obtained; the message names the file, the URL and what to do."""


class ChecksumMismatchError(DataFetchError):
    """A file's content does not match its registered checksum."""


class TruncatedDownloadError(DataFetchError):
    """A transfer ended before the whole file arrived."""


class DownloadHTTPError(DataFetchError):
    """The server answered with an HTTP error status (404, 500...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class DataUnavailableError(DataFetchError):
    """No cache entry, no mirror copy, and no URL could be reached."""


class ArchiveError(DataFetchError):
    """A zip archive is corrupt or unsafe."""


class CorruptArchiveError(ArchiveError):
    """A zip archive cannot be read or fails its CRC check."""


class UnsafeArchiveError(ArchiveError):
    """A zip member would be written outside its target folder (zip-slip), or is a link."""
