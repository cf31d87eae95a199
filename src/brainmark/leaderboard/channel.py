"""The trusted end of the narrow channel to a sandboxed model: JSON requests in, one JSON line and ``.npy`` files out.

The worker writes each request's images into the job's read-only ``stimuli`` folder under opaque names (no
stimulus ids or labels reach the model), sends one JSON line on the sandbox's stdin, and waits for one JSON line
(at most :data:`MAX_LINE` bytes) on its stdout while enforcing the job's limits. Arrays come back as ``.npy``
files in ``work/out``, opened through a directory descriptor taken before the sandbox started, without
following links, size-checked from ``fstat`` before reading, header-checked (2-D little-endian float32 of the
expected number of rows and at most the allowed width) and loaded with ``allow_pickle=False``; NaN or inf is
refused. Nothing the sandbox sends is ever unpickled, evaluated or used as a path.
"""
from __future__ import annotations

import io
import json
import os
import select
import shutil
import stat
from pathlib import Path
from typing import Any

import numpy as np

from brainmark.data.stimuli import IMAGE_SUFFIXES, StimulusSet
from brainmark.leaderboard.sandbox import Sandbox
from brainmark.models.errors import ModelError

MAX_LINE = 256 * 1024
FLOAT32 = np.dtype("<f4")


class ChannelError(ModelError):
    """The sandboxed model failed, broke the protocol or sent data that does not pass the checks."""


class SandboxStopped(ChannelError):
    """The sandbox was stopped for breaking a limit (the message names the limit)."""


def read_array(dir_fd: int, name: str, rows: int, max_cols: int) -> np.ndarray:
    """Read and remove ``name`` in the output folder: a finite ``rows x k`` float32 array, ``1 <= k <= max_cols``."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        raise ChannelError(f"the model did not write {name} ({exc.strerror})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            raise ChannelError(f"{name} is not a plain file")
        cap = rows * max_cols * FLOAT32.itemsize + 4096
        if info.st_size > cap:
            raise ChannelError(f"{name} has {info.st_size} bytes, more than {cap} for {rows} x <= {max_cols} float32")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(cap + 1)
    finally:
        os.close(fd)
        try:
            os.unlink(name, dir_fd=dir_fd)
        except OSError:
            pass
    return parse_array(data, name, rows, max_cols)


def parse_array(data: bytes, name: str, rows: int, max_cols: int) -> np.ndarray:
    """Check an ``.npy`` byte string's header before loading it (no pickles, no object arrays)."""
    buf = io.BytesIO(data)
    try:
        major, _ = np.lib.format.read_magic(buf)
        reader = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = reader(buf)
    except (ValueError, SyntaxError, TypeError) as exc:
        raise ChannelError(f"{name} is not a valid .npy file: {exc}") from exc
    if dtype != FLOAT32 or fortran or len(shape) != 2:
        raise ChannelError(f"{name} holds {dtype} {'F' if fortran else 'C'}-order shape {shape}; expected 2-D "
                           "little-endian float32 in C order")
    if shape[0] != rows or not 1 <= shape[1] <= max_cols:
        raise ChannelError(f"{name} has shape {shape}; expected ({rows}, k) with 1 <= k <= {max_cols}")
    if len(data) != buf.tell() + rows * shape[1] * FLOAT32.itemsize:
        raise ChannelError(f"{name} has {len(data)} bytes, which does not match its header {shape}")
    array = np.load(io.BytesIO(data), allow_pickle=False)
    if not np.isfinite(array).all():
        raise ChannelError(f"{name} contains NaN or inf")
    return array


class SandboxClient:
    """Requests to the model server running in ``box`` (create it before ``box.start``)."""

    def __init__(self, box: Sandbox, poll_seconds: float = 0.05) -> None:
        if box.proc is not None:
            raise RuntimeError("create the SandboxClient before starting the sandbox")
        self.box = box
        self.poll_seconds = poll_seconds
        self.out_fd = os.open(box.host("work") / "out", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        self._next = 0
        self._staged: dict[str, str] = {}

    def close(self) -> None:
        """Release the output folder's descriptor."""
        if self.out_fd >= 0:
            os.close(self.out_fd)
            self.out_fd = -1

    # --- requests -----------------------------------------------------------------------------------------
    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the validated reply (``ok`` true); raises :class:`ChannelError`."""
        self._next += 1
        message = {**message, "id": self._next}
        self._send((json.dumps(message) + "\n").encode())
        line = self._read_line()
        try:
            reply = json.loads(line)
        except ValueError as exc:
            raise ChannelError(f"the model sent a reply that is not JSON: {line[:200]!r}") from exc
        if not isinstance(reply, dict) or reply.get("id") != self._next or not isinstance(reply.get("ok"), bool):
            raise ChannelError(f"the model sent a malformed reply: {line[:200]!r}")
        if not reply["ok"]:
            raise ChannelError(f"the model failed: {str(reply.get('error'))[:2000]}")
        return reply

    def _raise_ended(self) -> None:
        reason = self.box.check()
        if reason:
            raise SandboxStopped(reason)
        code = self.box.proc.wait()
        raise ChannelError(f"the model process ended (exit status {code}): {self.box.stderr_tail(3000)}")

    def _send(self, data: bytes) -> None:
        """Write a request without ever blocking past the job's limits (the model may not read it)."""
        fd = self.box.proc.stdin.fileno()
        os.set_blocking(fd, False)
        view = memoryview(data)
        while view:
            reason = self.box.check()
            if reason:
                raise SandboxStopped(reason)
            _, ready, _ = select.select([], [fd], [], self.poll_seconds)
            if not ready:
                continue
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue
            except OSError:
                self._raise_ended()

    def _read_line(self) -> bytes:
        fd = self.box.proc.stdout.fileno()
        os.set_blocking(fd, False)
        buf = bytearray()
        while True:
            reason = self.box.check()
            if reason:
                raise SandboxStopped(reason)
            ready, _, _ = select.select([fd], [], [], self.poll_seconds)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self._raise_ended()
            buf += chunk
            if b"\n" in buf:
                line, _, rest = bytes(buf).partition(b"\n")
                if rest.strip():
                    raise ChannelError("the model wrote more than one reply line")
                return line
            if len(buf) > MAX_LINE:
                raise ChannelError(f"the model's reply is longer than {MAX_LINE} bytes")

    # --- stimuli ------------------------------------------------------------------------------------------
    def stage(self, stimuli: StimulusSet) -> tuple[str, list[str]]:
        """Copy the images into the read-only stimuli folder under opaque names; returns (folder, file names)."""
        folder = self._staged.get(stimuli.content_hash())
        names = [f"{i:06d}{self._suffix(p)}" for i, p in enumerate(stimuli.image_paths)]
        if folder is None:
            folder = f"set{len(self._staged)}"
            target = self.box.host("stimuli") / folder
            target.mkdir(mode=0o755)
            for name, path in zip(names, stimuli.image_paths):
                shutil.copyfile(path, target / name)
                os.chmod(target / name, 0o644)
            self._staged[stimuli.content_hash()] = folder
        return folder, names

    @staticmethod
    def _suffix(path: str) -> str:
        suffix = Path(path).suffix.lower()
        return suffix if suffix in IMAGE_SUFFIXES else ""
