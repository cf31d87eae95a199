"""The Schrimpf et al. 2018 report: tables (CSV + Markdown), figures (PNG + SVG) and one self-contained HTML page.

:func:`write_schrimpf2018_report` is what ``brainmark reproduce schrimpf2018`` writes into its output folder.
Every file repeats the notes on which benchmarks stood in for the paper's (CSV files as leading ``#`` lines,
which ``pandas.read_csv(path, comment="#")`` skips).
"""
from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from brainmark._io import atomic_write
from brainmark._version import __version__
from brainmark.reports.html import _STYLE
from brainmark.reports.schrimpf2018 import (
    PAPER, benchmark_correlations, composite_differences, format_table1, image_level, markdown,
    paper_benchmark_notes, table1, top1_correlations,
)
from brainmark.reports.schrimpf2018_figures import plot_correlations, plot_figure1, plot_figure2, plot_image_level
from brainmark.scoring.results import ResultsRecord

NO_I2N = ("not run: no I2n benchmark (Rajalingham2018) was scored, so there are no per-image d' values; the "
          "image-level analysis needs the official data (online, or a mirror holding it)")


def _write_csv(frame: pd.DataFrame, path: Path, notes: Sequence[str]) -> Path:
    with atomic_write(path, "w") as f:
        for note in notes:
            f.write(f"# {note}\n")
        frame.to_csv(f, index=False)
    return path


def html_table(frame: pd.DataFrame, caption: str = "", digits: int = 3) -> str:
    """``frame`` as an HTML table (text escaped, NaN as an en dash), with an optional caption."""
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "–" if math.isnan(value) else f"{value:.{digits}g}" if abs(value) < 1e-3 and value else \
                f"{value:.{digits}f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    caption = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{caption}</table>"


def figure_html(paths: Sequence[Path], caption: str, *, mention_svg: bool = True) -> str:
    """A ``<figure>`` embedding the PNG among ``paths`` as a data URI (no external file), or "" without one."""
    png = next((p for p in paths if p.suffix == ".png"), None)
    if png is None:
        return ""
    data = base64.b64encode(png.read_bytes()).decode()
    also = f" (also {png.stem}.svg)" if mention_svg else ""
    return (f'<figure><img alt="{html.escape(png.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}{also}</figcaption></figure>")


def table1_caption(table: pd.DataFrame, level: float, *, groups: bool = True) -> str:
    """Table 1's caption: the interval level, the benchmarks of each group (``groups``), those left out, the ranks."""
    members = "; ".join(f"{g}: {', '.join(b) or 'none'}" for g, b in table.attrs["groups"].items())
    excluded = "; ".join(f"{b} ({why})" for b, why in table.attrs["excluded"].items()) or "none"
    ranks = table.attrs["ranking_note"] or ("rank [rank interval] from paired bootstrap replicates; 'tied with best' = "
                                            "not significantly worse than the best (Holm)")
    return (f"Ceiled scores with {level:.0%} bootstrap intervals. " + (f"Groups: {members}. " if groups else "")
            + f"Left out of the composite: {excluded}. {ranks}.")


def _paper_reference() -> str:
    rows = [f"{name}: {score:.3f}" + (f" (V4 {v4:.3f}, IT {it:.3f}, behaviour {beh:.3f})" if v4 else "")
            for name, score, v4, it, beh in PAPER["table1_top"]]
    ceilings = ", ".join(f"{g} {v:.3f}" for g, v in PAPER["ceilings"].items())
    return ("<p class=note>The paper's Table 1 top (official data, r / ceiling): " + html.escape("; ".join(rows))
            + f". Its ceilings: {html.escape(ceilings)}.</p>")


def _sections(records: Sequence[ResultsRecord], folder: Path, notes: list[str], written: dict[str, Any]) -> list[str]:
    level = 0.95
    t1 = table1(records)
    level = t1.attrs.get("level") or level
    shown = format_table1(t1)
    written["table1.csv"] = _write_csv(t1, folder / "table1.csv", notes)
    with atomic_write(folder / "table1.md", "w") as f:
        f.write("".join(f"> {n}\n" for n in notes) + "\n" + markdown(shown) + "\n")
    written["table1.md"] = folder / "table1.md"
    out = ["<h2>Table 1</h2>", html_table(shown, table1_caption(t1, level)), _paper_reference()]
    diffs = composite_differences(records)
    written["composite_differences.csv"] = _write_csv(diffs, folder / "composite_differences.csv",
                                                      [*notes, diffs.attrs["note"]])
    real = diffs[diffs["real"]] if len(diffs) else diffs
    out += ["<h3>Which composite differences are real</h3>",
            f"<p>{len(real)} of {len(diffs)} pairwise differences are significant ({html.escape(diffs.attrs['note'])}).</p>",
            html_table(diffs.drop(columns=["note"])) if len(diffs) else ""]
    stats = top1_correlations(records)
    written["top1_correlations.csv"] = _write_csv(stats, folder / "top1_correlations.csv", notes)
    written["figure1"] = plot_figure1(records, folder, notes=notes)
    out += ["<h2>Figure 1</h2>", figure_html(written["figure1"], "Brain-Score vs ImageNet top-1"),
            html_table(stats, "Pearson r across models (p: scipy, two-sided); r interval: over the paired score "
                               "replicates (measurement noise of the scores only, not the choice of models)")]
    written["figure2"] = plot_figure2(records, folder, notes=notes)
    out += ["<h2>Figure 2</h2>", figure_html(written["figure2"], "each benchmark's raw score vs top-1, ceiling dashed")]
    out += _correlation_section(records, folder, notes, written)
    out += _image_section(records, folder, notes, written)
    return out


def _correlation_section(records: Sequence[ResultsRecord], folder: Path, notes: list[str],
                         written: dict[str, Any]) -> list[str]:
    groups = benchmark_correlations(records, "group")
    paper = {frozenset(k): v for k, v in PAPER["correlations"].items()}
    groups["paper_r"] = [paper.get(frozenset((a, b)), math.nan) for a, b in zip(groups["a"], groups["b"])]
    benchmarks = benchmark_correlations(records, "benchmark")
    written["correlations_groups.csv"] = _write_csv(groups, folder / "correlations_groups.csv", notes)
    written["correlations_benchmarks.csv"] = _write_csv(benchmarks, folder / "correlations_benchmarks.csv", notes)
    written["correlations_groups"] = plot_correlations(groups, folder, stem="correlations_groups", notes=notes)
    written["correlations_benchmarks"] = plot_correlations(benchmarks, folder, stem="correlations_benchmarks",
                                                           notes=notes)
    return ["<h2>Correlations between benchmarks across models</h2>",
            html_table(groups, "the paper: behaviour-V4 .66, behaviour-IT .86 (official data, its model set)"),
            figure_html(written["correlations_groups"], "groups"),
            figure_html(written["correlations_benchmarks"], "every benchmark (ceiled scores)")]


def _image_section(records: Sequence[ResultsRecord], folder: Path, notes: list[str],
                   written: dict[str, Any]) -> list[str]:
    shares = image_level(records)
    reference = PAPER["image_level"]
    paper = (f"the paper: {reference['within']:.0%} of images within |Δd'| <= 1, humans find "
             f"{reference['human_easier']:.0%} easier, the model {reference['model_easier']:.0%}")
    written["image_level.csv"] = _write_csv(shares, folder / "image_level.csv",
                                            [*notes, "Δd' = human - model per-image d' (not normalised)"]
                                            + ([NO_I2N] if shares.empty else []))
    if shares.empty:
        return ["<h2>Image-level analysis</h2>", f"<p class=note>{html.escape(NO_I2N)}.</p>"]
    written["image_level"] = plot_image_level(records, folder, notes=notes)
    return ["<h2>Image-level analysis</h2>", html_table(shares, f"Δd' = human - model image d'; {paper}"),
            figure_html(written["image_level"], "per-image d' of the best I2n model")]


def write_schrimpf2018_report(records: Sequence[ResultsRecord], folder: str | Path, *,
                              reasons: Mapping[str, str] | None = None, extra_notes: Sequence[str] = (),
                              title: str = "Schrimpf et al. 2018 (Brain-Score), reproduced") -> dict[str, Any]:
    """Write the tables, figures and ``report.html`` for ``records`` into ``folder``; returns what was written.

    ``reasons``: per group (V4, IT, behavior), why the paper's benchmark was not run (e.g. the data store's error);
    ``extra_notes``: more lines for every output (e.g. the run's wall time).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    notes = [*paper_benchmark_notes(records, reasons), *extra_notes]
    with atomic_write(folder / "notes.txt", "w") as f:
        f.write("\n".join(notes) + "\n")
    written: dict[str, Any] = {"notes.txt": folder / "notes.txt"}
    body = _sections(records, folder, notes, written)
    models = ", ".join(html.escape(r.model_identifier) for r in records)
    page = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}\n.note{{background:#fff7e0;padding:6px 10px;"
            "border-left:4px solid #e0a000}}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{len(records)} models: {models}. brainmark {html.escape(__version__)}."
            "</p><div class=note><b>Which data:</b><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes)
            + "</ul></div>" + "".join(body) + "</body></html>")
    with atomic_write(folder / "report.html", "w") as f:
        f.write(page)
    written["html"] = folder / "report.html"
    return written
