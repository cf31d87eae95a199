"""``brainmark models list`` and ``brainmark models check <model>`` (top-1 on the 20 ImageNet samples)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from brainmark.cli.main import app

models_app = typer.Typer(help="The model zoo: list models, sanity-check pretrained weights.", no_args_is_help=True)
app.add_typer(models_app, name="models")
console = Console()


@models_app.command("list")
def list_models() -> None:
    """Zoo models with family, ImageNet top-1 (literature), input size and candidate layers."""
    from brainmark.models import MODELS, model_entry_info

    table = Table(title="brainmark models (append -untrained for random weights; timm:<name> and file.py:factory too)")
    table.add_column("identifier", no_wrap=True)
    for column in ("family", "top-1 %", "input", "layers", "paper"):
        table.add_column(column)
    for name in MODELS.names():
        info = model_entry_info(name)
        top1 = info.get("imagenet_top1")
        layers = info.get("layers") or []
        table.add_row(
            name,
            str(info.get("family", "?")),
            f"{top1:.1f}" if isinstance(top1, (int, float)) else "?",
            str(info.get("input_size", "?")),
            str(len(layers)) if layers else "?",
            str(info.get("paper", "")),
        )
    console.print(table)
    console.print("details (layers, weights URL, normalisation): brainmark models info <identifier>")


@models_app.command("info")
def model_info(model: str = typer.Argument(..., help="Zoo identifier")) -> None:
    """All metadata of one zoo model: candidate layers, weights URL, input size, normalisation, paper."""
    from brainmark.models import MODELS, model_entry_info
    from brainmark.registry import UnknownIdentifierError

    try:
        MODELS.factory(model)
    except UnknownIdentifierError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    table = Table(title=model, show_header=False)
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    for key, value in model_entry_info(model).items():
        table.add_row(key, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
    console.print(table)


def _imagenet_samples(folder: Path):
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


@models_app.command("check")
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
    table = Table(title=f"{brain_model.identifier} on {len(stimuli)} ImageNet samples")
    for column in ("stimulus", "true", "predicted", "ok"):
        table.add_column(column)
    names = predicted["class_name"].values if "class_name" in predicted.coords else predicted.values
    for sid, true, name, ok in zip(stimuli.stimulus_ids, stimuli.table["label"], names, correct):
        table.add_row(sid, str(true), str(name), "yes" if ok else "no")
    console.print(table)
    console.print(f"top-1: {sum(correct)}/{len(correct)} = {100 * sum(correct) / len(correct):.0f}%")
