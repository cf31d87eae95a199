"""Create (once) separate venvs holding the implementations brainmark is compared with, for benchmarks only.

``brainscore-vision`` (the official implementation) and ``rsatoolbox`` are never dependencies of brainmark: each lives
in its own gitignored venv under ``bench/`` and runs as a separate process on inputs saved to files.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: name -> (venv folder, pip requirement, module to import as the probe)
SIDE_VENVS = {
    "official": (HERE / ".official-venv", "brainscore-vision==2.4.2", "brainscore_vision"),
    "rsatoolbox": (HERE / ".rsatoolbox-venv", "rsatoolbox==0.3.2", "rsatoolbox"),
}


def ensure_venv(name: str) -> Path | None:
    """The python of side venv ``name``, installing its package there if absent; None if that fails."""
    venv, requirement, module = SIDE_VENVS[name]
    python = venv / "bin" / "python"
    if python.exists() and _imports(python, module):
        return python
    print(f"installing {requirement} into {venv} (once) ...", file=sys.stderr)
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", requirement], check=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"could not install {requirement} ({exc}); brainmark timings only", file=sys.stderr)
        return None
    return python if _imports(python, module) else None


def _imports(python: Path, module: str) -> bool:
    return subprocess.run([str(python), "-c", f"import {module}"], capture_output=True).returncode == 0
