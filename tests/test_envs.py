"""The conda environments of the rules: what pyproject.toml requires, lungtrack itself, one per rule.

Each env file lists exactly pyproject's dependencies (plus its extras) and, last, ``${LUNGTRACK_SOURCE}``:
lungtrack itself, from the source the Snakefile names (its own folder), which pip expands when conda
hands it the env's pip section. Every rule and checkpoint names one of these env files in ``conda:``.
"""

import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml

ENV_EXTRAS = {"core.yaml": [], "nnunet.yaml": ["nnunet"]}
# rules that need PyTorch; every other rule runs in the core env, which has none
NNUNET_RULES = {"train", "segment_nnunet", "segment_nnunet_batch"}
SOURCE = "${LUNGTRACK_SOURCE}"


def _project(repo_root):
    return tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]


def _env(repo_root, name):
    return yaml.safe_load((repo_root / "envs" / name).read_text())


def _pip_requirements(env):
    pips = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    return pips[0]


@pytest.mark.parametrize("name", sorted(ENV_EXTRAS))
def test_env_matches_pyproject(repo_root, name):
    project = _project(repo_root)
    expected = list(project["dependencies"])
    for extra in ENV_EXTRAS[name]:
        expected += project["optional-dependencies"][extra]
    requirements = _pip_requirements(_env(repo_root, name))
    assert requirements[-1] == SOURCE, "lungtrack itself is installed last, from the workflow's source"
    assert sorted(requirements[:-1]) == sorted(expected)


@pytest.mark.parametrize("name", sorted(ENV_EXTRAS))
def test_env_name_carries_the_version(repo_root, name):
    # snakemake keys its environments by the file's content: a new version builds a new environment
    assert _env(repo_root, name)["name"].endswith("-" + _project(repo_root)["version"])


def test_every_env_file_is_checked(repo_root):
    assert sorted(p.name for p in (repo_root / "envs").glob("*.yaml")) == sorted(ENV_EXTRAS)


def test_core_env_has_no_torch(repo_root):
    assert not [r for r in _pip_requirements(_env(repo_root, "core.yaml")) if re.match(r"torch|nnunet", r)]


def test_every_rule_names_its_env(repo_root):
    rules = {}
    for path in sorted((repo_root / "workflow" / "rules").glob("*.smk")):
        # a rule's block runs from its header to the next one
        blocks = re.split(r"^\s*(?:rule|checkpoint) (\w+):\n", path.read_text(), flags=re.M)
        for name, body in zip(blocks[1::2], blocks[2::2], strict=True):
            env = re.search(r"^\s*conda:\n\s*\"([^\"]+)\"", body, flags=re.M)
            assert env, f"rule {name} ({path.name}) has no conda: directive"
            assert (path.parent / env.group(1)).resolve().parent == repo_root / "envs", name
            rules[name] = (path.parent / env.group(1)).resolve().name
    assert len(rules) >= 14
    assert {name for name, env in rules.items() if env == "nnunet.yaml"} == NNUNET_RULES
    assert set(rules.values()) <= set(ENV_EXTRAS)


def test_pip_installs_lungtrack_from_the_workflow_source(repo_root, tmp_path):
    """The core env's pip section, as conda hands it to pip: lungtrack at pyproject's version, from here."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(SOURCE + "\n")
    env = {**os.environ, "LUNGTRACK_SOURCE": str(repo_root)}
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-build-isolation",
                          "--no-index", "--quiet", "--report", str(tmp_path / "report.json"), "-r", str(requirements)],
                         env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    install = yaml.safe_load((tmp_path / "report.json").read_text())["install"]
    assert [(i["metadata"]["name"], i["metadata"]["version"]) for i in install] == [
        ("lungtrack", _project(repo_root)["version"])]
    assert install[0]["download_info"]["url"] == repo_root.as_uri()
