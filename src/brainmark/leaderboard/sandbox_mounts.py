"""What a sandbox may see of the host: the read-only folders its interpreter needs, never the home or database,
and its whole environment."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from brainmark import paths


class SandboxError(RuntimeError):
    """The sandbox could not be set up (the message says what is missing and what to do)."""


def bound_sources() -> list[Path]:
    """Host folders the sandboxed interpreter needs (read-only): interpreter prefix, venv, brainmark sources."""
    import brainmark

    sources = [Path(os.path.realpath(sys.base_prefix)), Path(os.path.realpath(sys.prefix)),
               Path(os.path.realpath(Path(brainmark.__file__).parents[1]))]
    unique: list[Path] = []
    for src in sources:
        if not any(src == u or src.is_relative_to(u) for u in unique) and str(src) != "/usr":
            unique = [u for u in unique if not u.is_relative_to(src)] + [src]
    return unique


def forbidden_paths() -> list[Path]:
    """Paths that must never be visible in a sandbox: the brainmark home (database, caches) and a SQLite DB."""
    found = [Path(os.path.realpath(paths.home()))]
    url = os.environ.get("BRAINMARK_LEADERBOARD_DATABASE_URL", "") or os.environ.get("BRAINMARK_DATABASE_URL", "")
    if url.startswith("sqlite:///"):
        found.append(Path(os.path.realpath(url[len("sqlite:///"):])))
    return found


def check_sources(sources: list[Path]) -> None:
    """Refuse to bind a folder holding the home or the database (e.g. a home inside the virtual environment)."""
    for secret in forbidden_paths():
        for src in sources:
            if secret == src or secret.is_relative_to(src):
                raise SandboxError(f"{secret} lies inside {src}, which the sandbox mounts read-only; move "
                                   "BRAINMARK_HOME / the database out of the interpreter, venv and source folders")


def sandbox_env(python_path: str, home: str) -> dict[str, str]:
    """The whole environment of sandboxed code: no credentials, no proxies, offline, one thread."""
    return {
        "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home, "BRAINMARK_HOME": f"{home}/brainmark-home",
        "PYTHONPATH": python_path, "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "BRAINMARK_PROGRESS": "0", "BRAINMARK_OFFLINE": "1",
        "MPLCONFIGDIR": f"{home}/.matplotlib", "TORCH_HOME": f"{home}/torch",
    }
