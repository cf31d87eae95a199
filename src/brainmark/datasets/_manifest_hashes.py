"""sha256 of each shipped dataset's MANIFEST.json (written by scripts/package_datasets.py)."""

MANIFEST_SHA256 = {
    'kriegeskorte2008': '32baa41fd220de26fe836ba45c86736b1e9e265f4c078f636767ab08f28c1704',
    'geirhos2021': 'b354aea4a33b2796ad47d07c8630d7b29d0ede4049fc700765b06228f27f8701',
    'coggan2024': '10c788ccba05e2f5279bf41347ef214d51372cfa9b6c2d7c44d23afafcd8bff5',
    'imagenet_samples': '5be1aee048342304a6ae7274a7afd349a1c8fd48ac2caaf380c3aac79d61a1d9',
}
