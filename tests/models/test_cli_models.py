import re

import pytest
from typer.testing import CliRunner

from brainmark.cli.main import app


def test_models_list_and_info():
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    for name in ("alexnet", "cornet-s", "efficientnet-lite0", "densenet169", "squeezenet1_1"):
        assert name in listed.output
    info = runner.invoke(app, ["models", "info", "vgg16"], env={"COLUMNS": "200"})
    assert info.exit_code == 0 and "vgg16-397923af.pth" in info.output and "features.30" in info.output
    unknown = runner.invoke(app, ["models", "info", "vgg17"])
    assert unknown.exit_code == 1 and "vgg16" in unknown.output


@pytest.mark.slow
def test_models_check_efficientnet_lite0(shared_data, brainmark_home):
    result = CliRunner().invoke(
        app, ["models", "check", "efficientnet-lite0", "--images", str(shared_data / "imagenet_val_samples")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    correct = int(re.search(r"top-1: (\d+)/20", result.output).group(1))
    assert correct >= 16
