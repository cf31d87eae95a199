"""Run in bench/.rsatoolbox-venv: rsatoolbox 0.3.2's ``eval_bootstrap_pattern`` on RDMs saved by bench_statistics.py.

    rsatoolbox_bootstrap.py RDMS.npz OUT.json

RDMS.npz holds ``subjects`` (subjects x n x n dissimilarities) and ``model`` (n x n); the model is a fixed RDM and
the comparison Spearman, 1,000 pattern bootstrap samples with the noise ceiling bootstrapped too (the defaults).
"""
import json
import sys
import time

import numpy as np
import rsatoolbox

data = np.load(sys.argv[1])
rdms = rsatoolbox.rdm.RDMs(np.stack([rsatoolbox.rdm.rdms.batch_to_vectors(m[None])[0][0] for m in data["subjects"]]),
                           pattern_descriptors={"index": np.arange(data["model"].shape[0])})
model = rsatoolbox.model.ModelFixed("model", rsatoolbox.rdm.rdms.batch_to_vectors(data["model"][None])[0][0])
start = time.perf_counter()
result = rsatoolbox.inference.eval_bootstrap_pattern(model, rdms, method="spearman", N=1000)
seconds = time.perf_counter() - start
evaluations = np.asarray(result.evaluations).ravel()
json.dump({"seconds": seconds, "mean": float(np.nanmean(evaluations)), "sd": float(np.nanstd(evaluations)),
           "finite": int(np.isfinite(evaluations).sum())}, open(sys.argv[2], "w"))
