"""Shared fixtures: the repository root, the optional ../shared data folder, snakemake command lines."""

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
