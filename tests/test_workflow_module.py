"""The workflow as a Snakemake module of another workflow, read by a snakemake that lacks lungtrack.

Both runs start snakemake through a Python that cannot import the installed lungtrack (only a copy
outside site-packages), as a snakemake of its own environment would be under ``--sdm conda``: the
Snakefile then takes the package beside itself, whose modules read at parse time need no more than
snakemake's own dependencies. The jobs still call the ``lungtrack`` command of this environment.
"""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

# Runs snakemake's command line with the installed lungtrack hidden (argv: snakemake's arguments).
_WITHOUT_LUNGTRACK = '''
import importlib.machinery, importlib.util, sys

class HideInstalled:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "lungtrack":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, [p for p in sys.path if p and "site-packages" not in p])
        if spec is None:
            raise ModuleNotFoundError("No module named 'lungtrack'", name=name)
        return spec

sys.meta_path.insert(0, HideInstalled)
try:
    importlib.util.find_spec("lungtrack")
except ModuleNotFoundError:
    pass
else:
    sys.exit("lungtrack is importable: the test would prove nothing")
from snakemake.cli import main
sys.argv = ["snakemake", *sys.argv[1:]]
main()
'''


def _snakemake_without_lungtrack(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([sys.executable, "-c", _WITHOUT_LUNGTRACK, "--directory", str(workdir), *args],
                          cwd=workdir, env=env, capture_output=True, text=True, check=False)


def _demo_config(repo_root, workdir, patients, timepoints):
    config = yaml.safe_load((repo_root / "config.yaml").read_text())
    config.update(results_dir=str(workdir / "results"), dicom_dir=str(workdir / "demo" / "dicom"),
                  demo={"dir": str(workdir / "demo"), "patients": patients, "timepoints": timepoints, "seed": 3})
    return config


def test_dry_run_without_lungtrack_installed(repo_root, tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(_demo_config(repo_root, tmp_path, 1, 1)))
    snakefile = repo_root / "Snakefile"
    res = _snakemake_without_lungtrack(tmp_path, "--snakefile", str(snakefile), "-n", "--cores", "1")
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert "demo_cohort" in res.stdout and "inventory" in res.stdout


def test_dry_run_without_lungtrack_names_what_is_missing(repo_root, tmp_path):
    # a Snakefile without the package beside it (a copy elsewhere): one clear line, not a traceback
    copy = tmp_path / "wf" / "Snakefile"
    copy.parent.mkdir(parents=True)
    copy.write_text((repo_root / "Snakefile").read_text())
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(_demo_config(repo_root, tmp_path, 1, 1)))
    res = _snakemake_without_lungtrack(tmp_path, "--snakefile", str(copy), "-n")
    assert res.returncode != 0
    assert "lungtrack is not importable and not beside the Snakefile" in res.stdout + res.stderr


@pytest.mark.slow
def test_used_as_a_module(repo_root, tmp_path):
    """Another workflow: its own config, `module lungtrack`, `use rule * from lungtrack as lungtrack_*`."""
    config = _demo_config(repo_root, tmp_path, 1, 2)
    config["results_dir"] = "results"  # relative to the calling workflow's folder
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "Snakefile").write_text(f'''\
configfile: "config/config.yaml"


rule all:
    input:
        "results/cohort.csv",
        "results/reports/index.html",


module lungtrack:
    snakefile:
        "{repo_root / "Snakefile"}"
    config:
        config


use rule * from lungtrack as lungtrack_*
''')
    res = _snakemake_without_lungtrack(tmp_path, "--cores", "2")
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    table = pd.read_csv(tmp_path / "results" / "cohort.csv")
    assert len(table) == 2 and (table["status"] == "ok").all()
    assert "lungtrack_segment_lungs" in res.stdout + res.stderr
