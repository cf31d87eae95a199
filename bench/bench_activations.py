"""Activation extraction: memory and time of VGG-16 (13 conv layers) and cold vs warm cache of EfficientNet-Lite0.

With the default ``auto`` handling, VGG-16's layers are kept whole while they fit the memory budget (smallest
first) and the others get their exact Gram embedding, computed in extra passes within the budget.

Both on the 640 Cowley2023 210325 images (session stimuli, 112x112 JPEGs). Each case runs in a fresh child
process so its peak RSS (``ru_maxrss``) is its own; the cache home is a fresh temporary folder, so the first
EfficientNet run is cold and the second (a new process) is warm. Prints a Markdown table.

    .venv/bin/python bench/bench_activations.py
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VGG16_CONVS = [f"features.{i}" for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)]
MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def run_case(case: str) -> dict:
    os.environ.setdefault("BRAINMARK_PROGRESS", "0")
    import torch

    from brainmark.datasets import load_stimulus_set
    from brainmark.models import load_model

    stimuli = load_stimulus_set("Cowley2023.210325")
    start = time.perf_counter()
    if case == "vgg16":
        model = load_model("vgg16", untrained=True, batch_size=32)
        acts = model.layer_activations(stimuli, VGG16_CONVS)
        kinds = [acts[layer].attrs["reduction"] for layer in VGG16_CONVS]
        infos = [json.loads(acts[layer].attrs["reduction_info"]) for layer in VGG16_CONVS]
        passes = max((i.get("forward_passes") or 1) for i in infos)
        worst = max(float(i.get("distortion") or 0.0) for i in infos)
        detail = (f"auto within {infos[0]['memory_budget_bytes'] / 2**20:.0f} MiB: {kinds.count('none')} layers full, "
                  f"{kinds.count('gram')} exact Gram embeddings; {passes} forward passes; max Gram error {worst:.1e}")
    else:
        model = load_model("efficientnet-lite0", batch_size=32)
        calls = []
        model.spec.module.register_forward_pre_hook(lambda *a: calls.append(1))
        acts = model.layer_activations(stimuli, model.candidate_layers)
        detail = f"{len(acts)} candidate layers, forward passes: {len(calls)}"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    return {"case": case, "images": len(stimuli), "seconds": seconds, "peak_rss_gib": peak, "detail": detail,
            "threads": torch.get_num_threads()}


def main() -> None:
    env = dict(os.environ, BRAINMARK_PROGRESS="0")
    if "BRAINMARK_DATA_MIRROR" not in env and MIRROR.is_dir():
        env["BRAINMARK_DATA_MIRROR"] = str(MIRROR)
    rows = []
    with tempfile.TemporaryDirectory() as home:
        env["BRAINMARK_HOME"] = home
        # prime the data store (unzips the images once) so no case pays for it
        subprocess.run([sys.executable, "-c", "from brainmark.datasets import load_stimulus_set as l; "
                        "l('Cowley2023.210325')"], env=env, check=True)
        for case, label in (("vgg16", "VGG-16 untrained, 13 conv layers"),
                            ("efficientnet", "EfficientNet-Lite0, cold cache"),
                            ("efficientnet", "EfficientNet-Lite0, warm cache")):
            out = subprocess.run([sys.executable, __file__, "--case", case], env=env, check=True,
                                 capture_output=True, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append((label, result))
            print(f"{label}: {result}", file=sys.stderr)
    print("| case | images | wall s | peak RSS GiB | notes |")
    print("|---|---|---|---|---|")
    for label, r in rows:
        print(f"| {label} | {r['images']} | {r['seconds']:.1f} | {r['peak_rss_gib']:.2f} | {r['detail']} |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2])))
    else:
        main()
