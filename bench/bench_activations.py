"""Activation extraction: memory and time of VGG-16 (13 conv layers) and cold vs warm cache of EfficientNet-Lite0.

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
        shapes = {layer: acts[layer].shape for layer in VGG16_CONVS}
        detail = f"13 conv layers -> {sorted(set(s[1] for s in shapes.values()))} features (auto: random projection)"
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
