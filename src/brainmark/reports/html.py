"""One self-contained HTML report (table + plots embedded as base64 PNG), plus the PNG/SVG files beside it."""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Sequence

from brainmark._io import atomic_write
from brainmark._version import __version__
from brainmark.reports.plots import plot_all
from brainmark.reports.tables import comparison_table, format_value
from brainmark.scoring.results import ResultsRecord

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;margin:1em 0;border:1px solid #eee}caption{caption-side:bottom;font-size:12px;color:#666;padding-top:4px}"""


def render_html(records: Sequence[ResultsRecord], images: Sequence[Path]) -> str:
    """One self-contained HTML page: the comparison table and the plots inlined."""
    table = comparison_table(records)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(format_value(v))}</td>" for v in row) + "</tr>" for row in table.itertuples(index=False)
    )
    figures = "".join(
        f'<figure><img alt="{html.escape(p.stem)}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        f"<figcaption>{html.escape(p.stem)}</figcaption></figure>"
        for p in images if p.suffix == ".png"
    )
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>brainmark report</title>"
        f"<style>{_STYLE}</style></head><body><h1>brainmark report</h1>"
        f"<p>{len(records)} model(s); ceiled scores, sorted by the first composite; brainmark {html.escape(__version__)}.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
        "<caption>Composites first, then each benchmark's ceiled score (– = not run).</caption></table>"
        f"{figures}</body></html>"
    )


def write_report(records: Sequence[ResultsRecord], folder: str | Path) -> dict[str, Path | list[Path]]:
    """Write plots (PNG + SVG), ``report.csv`` and a self-contained ``report.html`` into ``folder``."""
    folder = Path(folder)
    images = plot_all(records, folder)
    table = comparison_table(records)
    with atomic_write(folder / "report.csv", "w") as f:
        table.to_csv(f, index=False)
    page = folder / "report.html"
    with atomic_write(page, "w") as f:
        f.write(render_html(records, images))
    return {"html": page, "csv": folder / "report.csv", "images": images}
