"""Run in bench/.rsatoolbox-venv: rsatoolbox 0.3.2's ``boot_noise_ceiling`` (Spearman) on subject RDMs.

    rsatoolbox_ceiling.py RDMS.npy     (subjects x n x n dissimilarities) -> prints [lower, upper] as JSON
"""
import json
import sys

import numpy as np
import rsatoolbox
from rsatoolbox.inference.noise_ceiling import boot_noise_ceiling

mats = np.load(sys.argv[1], allow_pickle=False)
vectors = np.stack([rsatoolbox.rdm.rdms.batch_to_vectors(m[None])[0][0] for m in mats])
rdms = rsatoolbox.rdm.RDMs(vectors, rdm_descriptors={"index": np.arange(len(mats))})
lower, upper = boot_noise_ceiling(rdms, method="spearman", rdm_descriptor="index")
print(json.dumps([float(lower), float(upper)]))
