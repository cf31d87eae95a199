"""sha256 of each checksum list in this folder (written by scripts/list_remote_files.py)."""

LIST_SHA256 = {
    'geirhos2021_cueconflict': 'f30d6dc6b0585c8c9c019309c0c249d030bb9ee9bcd03a8ceb349a97fb8c5c1c',
}
