"""The conda environment files of the rules list exactly what pyproject.toml requires."""

import tomllib

import pytest
import yaml

ENV_EXTRAS = {"lungtrack.yaml": [], "nnunet.yaml": ["nnunet"]}


def _pip_requirements(env_file):
    env = yaml.safe_load(env_file.read_text())
    pips = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    return sorted(pips[0])


@pytest.mark.parametrize("name", sorted(ENV_EXTRAS))
def test_env_matches_pyproject(repo_root, name):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    expected = list(project["dependencies"])
    for extra in ENV_EXTRAS[name]:
        expected += project["optional-dependencies"][extra]
    assert _pip_requirements(repo_root / "envs" / name) == sorted(expected)


def test_every_env_file_is_checked(repo_root):
    assert sorted(p.name for p in (repo_root / "envs").glob("*.yaml")) == sorted(ENV_EXTRAS)
