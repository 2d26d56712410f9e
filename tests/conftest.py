"""Shared fixtures: the repository root, the optional ../shared data folder, snakemake command lines, a
tiny phantom nnU-Net model."""

import os
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Workflow rules call the `lungtrack` command: make the one of this interpreter's environment
# found first, also when the tests run without an activated virtual environment.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repository; tests that need it skip with a reason when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data not available: {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def snakemake_cmd():
    """Build a snakemake command line that runs this repository's Snakefile in a working folder.

    ``snakemake_cmd(workdir, config, *args)`` writes ``config`` (dict) as ``workdir/config.yaml``
    and returns the argument list; snakemake's own state (.snakemake/, locks) stays in
    ``workdir`` and the venv's ``lungtrack`` is on the PATH of every job.
    """

    def build(workdir: Path, config: dict, *args: str) -> list[str]:
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "config.yaml").write_text(yaml.safe_dump(config))
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        return ["env", f"PATH={path}", sys.executable, "-m", "snakemake",
                "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), *args]

    return build


#: small phantom CTs (96 x 96 pixels of 3.6 mm, 5 mm slices) for tests that run nnU-Net
SMALL_PHANTOM = {"matrix": 96, "pixel_mm": 3.6, "slice_mm": 5.0}


@pytest.fixture(scope="session")
def phantom_model(tmp_path_factory) -> Path:
    """A tiny 2D lung and lesion model that lungtrack trains (seeded) on 3 small phantom CTs (seeds 1000-1002),
    once per session: its installed folder (nnunet.model). nnU-Net runs for real; its masks are rough."""
    from lungtrack.train.nnunet_training import TrainingOptions, train_model
    from lungtrack.train.phantom_cases import phantom_cases

    root = tmp_path_factory.mktemp("phantom_model")
    cases = phantom_cases(root / "cases", 3, 1, 1000, **SMALL_PHANTOM)
    train_model(cases, root / "work", root / "nnunet", opts=TrainingOptions(
        configuration="2d", optimizer="adam", folds=("all",), epochs=10, iterations_per_epoch=5, batch_size=8,
        base_features=8, max_features=64, target_spacing_mm=(3.6, 3.6, 5.0), workers=2, seed=0))
    return root / "nnunet"
