"""config.yaml is valid against its schema; unknown keys and wrong types are clear errors."""

import subprocess
import sys

import jsonschema
import pytest
import yaml

from lungtrack.settings import SCHEMA_PATH


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load(SCHEMA_PATH.read_text())


def test_default_config_is_valid(repo_root, schema):
    jsonschema.validate(yaml.safe_load((repo_root / "config.yaml").read_text()), schema)


def _every_property(schema, path=""):
    for key, sub in schema.get("properties", {}).items():
        yield f"{path}{key}", sub
        yield from _every_property(sub, f"{path}{key}.")


def test_every_key_has_description_and_default(schema):
    for key, sub in _every_property(schema):
        assert sub.get("description"), f"{key} lacks a description"
        assert "default" in sub, f"{key} lacks a default"


def _dry_run(repo_root, tmp_path, *config):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--directory", str(repo_root),
         "--config", f"results_dir={tmp_path}", *config],
        capture_output=True, text=True, cwd=repo_root,
    )


def test_unknown_key_is_rejected(repo_root, tmp_path):
    res = _dry_run(repo_root, tmp_path, "no_such_key=1")
    assert res.returncode != 0
    assert "no_such_key" in res.stderr + res.stdout


def test_wrong_type_is_rejected(repo_root, tmp_path):
    res = _dry_run(repo_root, tmp_path, "demo={patients: many}")
    assert res.returncode != 0
    assert "many" in res.stderr + res.stdout


def test_readme_config_table_matches_schema(repo_root, schema):
    from lungtrack.config_doc import readme_with_table

    readme = (repo_root / "README.md").read_text()
    assert readme == readme_with_table(readme, schema), "run `python -m lungtrack.config_doc` to update the README"
