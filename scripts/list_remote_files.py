#!/usr/bin/env python
"""Regenerate the checksum lists of datasets that resolve through the store but do not ship in the package.

    .venv/bin/python scripts/list_remote_files.py [--mirror ../shared/data]

Writes ``src/brainmark/datasets/checksums/<list>.tsv`` (one ``sha256<TAB>size<TAB>path`` line per file, the path
relative to the mirror folder, sorted) and ``src/brainmark/datasets/checksums/_hashes.py`` (the sha256 of each list,
which the dataset modules check before trusting a list). The files themselves stay on the mirror / their public URLs.
The output is deterministic: rerunning on the same mirror gives identical files.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "src" / "brainmark" / "datasets" / "checksums"

#: list name -> (mirror folder, glob patterns inside it)
LISTS = {
    "geirhos2021_cueconflict": ("geirhos2021", (
        "stimuli/style-transfer-preprocessed-512/*/*.png",
        "human_responses/cue-conflict/*.csv",
        "human_responses/cue-conflict-shape-instructed/*.csv",
        "human_responses/cue-conflict-texture-instructed/*.csv",
    )),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_list(name: str, mirror: Path) -> str:
    folder, patterns = LISTS[name]
    base = mirror / folder
    paths = sorted({p for pattern in patterns for p in base.glob(pattern) if p.is_file()})
    lines = [f"{sha256(p)}\t{p.stat().st_size}\t{p.relative_to(base).as_posix()}" for p in paths]
    target = FOLDER / f"{name}.tsv"
    target.write_text("\n".join(lines) + "\n")
    print(f"{name}: {len(lines)} files, {sum(p.stat().st_size for p in paths) / 1e6:.1f} MB")
    return sha256(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "data")
    mirror = parser.parse_args().mirror.resolve()
    FOLDER.mkdir(parents=True, exist_ok=True)
    hashes = {name: write_list(name, mirror) for name in LISTS}
    lines = ['"""sha256 of each checksum list in this folder (written by scripts/list_remote_files.py)."""', "",
             "LIST_SHA256 = {"]
    lines += [f"    {name!r}: {digest!r}," for name, digest in hashes.items()]
    lines += ["}", ""]
    (FOLDER / "_hashes.py").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
