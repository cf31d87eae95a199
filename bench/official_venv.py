"""Create (once) the separate venv holding the official implementation, for side-by-side benchmarks only.

``brainscore-vision`` is never a dependency of brainmark: it lives in ``bench/.official-venv`` (gitignored) and runs
as a separate process on inputs saved to files.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OFFICIAL_VERSION = "2.4.2"
VENV = Path(__file__).resolve().parent / ".official-venv"
PYTHON = VENV / "bin" / "python"


def ensure_official_venv() -> Path | None:
    """The official venv's python, installing ``brainscore-vision`` there if absent; None if that fails."""
    if PYTHON.exists() and _has_official():
        return PYTHON
    print(f"installing brainscore-vision=={OFFICIAL_VERSION} into {VENV} (once; several GB, slow) ...", file=sys.stderr)
    try:
        if not PYTHON.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", f"brainscore-vision=={OFFICIAL_VERSION}"], check=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"could not install the official implementation ({exc}); brainmark timings only", file=sys.stderr)
        return None
    return PYTHON if _has_official() else None


def _has_official() -> bool:
    probe = subprocess.run([str(PYTHON), "-c", "import brainscore_vision"], capture_output=True)
    return probe.returncode == 0
