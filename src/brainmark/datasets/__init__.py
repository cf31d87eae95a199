"""brainmark's datasets: one module per dataset, each registering its files, loader, citation and license."""
from brainmark.datasets import (  # noqa: F401  (imported to register)
    coggan2024,
    cowley2023,
    geirhos2021,
    imagenet_samples,
    kriegeskorte2008,
    majajhong2015,
    rajalingham2018,
)
