"""``brainmark models list|info|check`` (top-1 on the 20 ImageNet samples); registered in ``cli/main.py``."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from brainmark.cli._output import FORMAT_HELP, Column, OutputFormat, console, emit_records, print_table

if TYPE_CHECKING:  # the data layer imports pandas: only when a command runs
    from brainmark.data.stimuli import StimulusSet

app = typer.Typer(help="The model zoo: list models, sanity-check pretrained weights.", no_args_is_help=True)

LIST_COLUMNS = (
    Column("identifier"),
    Column("family", drop=2),
    Column("top-1 %", key="imagenet_top1", render=lambda v: f"{v:.1f}" if isinstance(v, (int, float)) else "?"),
    Column("input", key="input_size", drop=3, render=lambda v: "?" if v is None else str(v)),
    Column("layers", key="n_layers", drop=4, render=lambda v: str(v) if v else "?"),
    Column("paper", drop=1, shrink="ellipsis", min_width=16),
)
LIST_FOOTER = ("append -untrained for random weights; timm:<name> and file.py:factory work too. "
               "Details (layers, weights URL, normalisation): brainmark models info <identifier>")


def model_records() -> list[dict[str, Any]]:
    """One record per zoo model: identifier, family, literature ImageNet top-1, input size, layers, paper."""
    from brainmark.models import MODELS, model_entry_info

    records = []
    for name in MODELS.names():
        info = model_entry_info(name)
        layers = info.get("layers") or []
        records.append({"identifier": name, "family": str(info.get("family", "?")),
                        "imagenet_top1": info.get("imagenet_top1"), "input_size": info.get("input_size"),
                        "n_layers": len(layers), "paper": str(info.get("paper", ""))})
    return records


@app.command("list")
def list_models(fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP)) -> None:
    """Zoo models with family, ImageNet top-1 (literature), input size and candidate layers."""
    emit_records(model_records(), LIST_COLUMNS, fmt, title="brainmark models", footer=LIST_FOOTER)


@app.command("info")
def model_info(model: str = typer.Argument(..., help="Zoo identifier")) -> None:
    """All metadata of one zoo model: candidate layers, weights URL, input size, normalisation, paper."""
    from brainmark.models import MODELS, model_entry_info
    from brainmark.registry import UnknownIdentifierError

    try:
        MODELS.factory(model)
    except UnknownIdentifierError as exc:
        console().print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    rows = [[escape(key), escape(", ".join(map(str, value)) if isinstance(value, list) else str(value))]
            for key, value in model_entry_info(model).items()]
    print_table((Column("field"), Column("value", shrink="fold", min_width=20)), rows, title=model)


def _imagenet_samples(folder: Path) -> "StimulusSet":
    from brainmark.data.stimuli import StimulusSet

    stimuli = StimulusSet.from_directory("ImageNetSamples", folder)
    labels = []
    for path in stimuli.image_paths:
        match = re.search(r"_(\d+)\.\w+$", Path(path).name)
        if not match:
            raise typer.BadParameter(f"{path}: expected a file name ending in _<class index>.<ext>")
        labels.append(int(match.group(1)))
    stimuli.table["label"] = labels
    return stimuli


@app.command("check")
def check(
    model: str = typer.Argument(..., help="Model identifier, e.g. efficientnet-lite0"),
    images: Path = typer.Option(None, help="Folder of imagenet_NN_<class>.jpg files (default: the data mirror's)"),
    untrained: bool = typer.Option(False, "--untrained", help="Random, seeded weights"),
    device: str = typer.Option(None, help="cpu, cuda or auto"),
) -> None:
    """Top-1 of MODEL on the 20 ImageNet validation samples: a check that pretrained weights really loaded."""
    from brainmark.models import load_model

    if images is None:
        mirror = os.environ.get("BRAINMARK_DATA_MIRROR")
        images = Path(mirror) / "imagenet_val_samples" if mirror else None
    if images is None or not images.is_dir():
        raise typer.BadParameter("no ImageNet sample folder: pass --images or set BRAINMARK_DATA_MIRROR")
    stimuli = _imagenet_samples(images)
    brain_model = load_model(model, untrained=untrained, device=device)
    brain_model.start_task("label")
    predicted = brain_model.look_at(stimuli)
    correct = [int(p) == t for p, t in zip(predicted.values, stimuli.table["label"])]
    names = predicted["class_name"].values if "class_name" in predicted.coords else predicted.values
    rows = [[escape(str(sid)), str(true), escape(str(name)), "yes" if ok else "no"]
            for sid, true, name, ok in zip(stimuli.stimulus_ids, stimuli.table["label"], names, correct)]
    columns = (Column("stimulus", shrink="ellipsis"), Column("true", justify="right"),
               Column("predicted", shrink="ellipsis", min_width=12), Column("ok"))
    print_table(columns, rows, title=f"{brain_model.identifier} on {len(stimuli)} ImageNet samples")
    console().print(f"top-1: {sum(correct)}/{len(correct)} = {100 * sum(correct) / len(correct):.0f}%")
