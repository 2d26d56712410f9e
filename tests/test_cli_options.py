"""Every config key reaches the subcommand that uses it, as a flag named like the key.

For each key of a section, the config's value is changed; the flags the rules pass
(``lungtrack.workflow_options``, called by ``cli_options`` in workflow/rules/common.smk) are parsed by
the subcommand's real argparse parser, and the parsed value must be the changed one. The defaults of
the parsers, of config.yaml and of the schema are one and the same.
"""

import argparse
import copy
import importlib
import re

import jsonschema
import pytest
import yaml

from lungtrack import settings
from lungtrack.cli import COMMANDS, build_parser
from lungtrack.track.ct_registration import METHODS
from lungtrack.workflow_options import command_options, option_words

#: the CT and masks of the one metrics file m.json
SCAN_FILES = ["--images", "ct.nii.gz", "--lungs", "l.nii.gz", "--lesions", "s.nii.gz"]
# the words each subcommand needs besides the config's flags (positionals and required options)
REQUIRED = {
    "phantom": ["demo"],
    "inventory": ["dicom", "inventory.tsv"],
    "convert": ["series", "ct.nii.gz"],
    "segment": ["ct.nii.gz", "--model", "model"],
    "train": ["model"],
    "cohort": ["m.json", "--out", "cohort.csv"],
    "track": ["m.json", *SCAN_FILES, "--patient-id", "P1", "--out-dir", "tracking"],
    "report": ["m.json", *SCAN_FILES, "--patient-id", "P1", "--out", "P1.html"],
    "overview": ["cohort.csv", "--out", "index.html"],
    "evaluate": ["m.json", *SCAN_FILES, "--out-dir", "evaluation"],
    "export-dicom": ["m.json", "--lungs", "l.nii.gz", "--lesions", "s.nii.gz", "--files", "files.tsv",
                     "--root", "dicom", "--seg", "s.dcm", "--sr", "s.sr.dcm"],
}
# keys that are no flag of the config's helper, and where the workflow uses them instead
GIVEN_OTHERWISE = {
    "demo.dir": "OUT of `lungtrack phantom`",
    "ingest.samples": "SOURCE of `lungtrack inventory`",
    "nnunet.model": "--model of `lungtrack segment` (a preset's folder in it) and MODEL_DIR of `lungtrack train`",
    "nnunet.workers": "--workers from the job's threads (a new count must not rerun the jobs)",
    "nnunet.batch_cases": "the number of --case of `lungtrack segment` in rule segment_nnunet_batch",
    "tracking.lobes_dir": "--lobes-dir of `lungtrack track`: the key, or the lobe model's masks",
    "export.dicom": "whether rule export_dicom runs",
}
CONFIG_FLAGS = [(command, section) for command in REQUIRED for section in command_options(command)]
SECTIONS = [name for name, node in settings.schema()["properties"].items() if node.get("type") == "object"]


@pytest.fixture(scope="module")
def config(repo_root):
    return yaml.safe_load((repo_root / "config.yaml").read_text())


def _parse(command: str, words: list[str]) -> argparse.Namespace:
    return build_parser().parse_args([command, *REQUIRED[command], *words])


def _other(node: dict):
    """A valid value of the schema ``node`` that differs from its default."""
    value, types = node["default"], node["type"] if isinstance(node["type"], list) else [node["type"]]
    if "enum" in node:
        return next(c for c in node["enum"] if c not in (None, value))
    if "boolean" in types:
        return not value
    if "object" in types:
        return {"lung": [1], "lesion": [2, 3]}
    if "array" in types:
        count = node.get("minItems") or 2
        items = node["items"]["type"]
        if value:
            return [v * 2 if isinstance(v, float) else 1 for v in value]
        return [float(i + 1) if "number" in items else i if "integer" in items else f"1.2.{i}" for i in range(count)]
    if "integer" in types:
        return (value or node.get("minimum", 1)) + 1
    if "number" in types:
        return value / 2 if value else 1.0
    return f"{value}x" if value else "some/path"


def _nested(key: str, value) -> dict:
    """``phantom.seed``, 3 -> ``{"phantom": {"seed": 3}}``."""
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


def _with(config: dict, section: str, key: str, value) -> dict:
    changed = copy.deepcopy(config)
    node = changed[section]
    *parents, name = key.split(".")
    for parent in parents:
        node = node[parent]
    node[name] = value
    return changed


@pytest.mark.parametrize("section", SECTIONS)
def test_every_key_of_the_section_reaches_its_subcommand(section, config):
    checked = set()
    for command, used in CONFIG_FLAGS:
        if used != section:
            continue
        for key in command_options(command)[section]:
            node = settings.key_schema(section, key)
            value = _other(node)
            changed = _with(config, section, key, value)
            jsonschema.validate(changed, settings.schema())
            parsed = settings.section_values(_parse(command, option_words(changed, command)), section, [key])
            assert parsed == _nested(key, value), (command, key, parsed)
            default = settings.section_values(_parse(command, option_words(config, command)), section, [key])
            assert default != parsed, (command, key)
            checked.add(key)
    missing = set(settings.leaf_keys(section)) - checked - {k.split(".", 1)[1] for k in GIVEN_OTHERWISE
                                                             if k.startswith(section + ".")}
    assert not missing, f"{section}: keys that reach no subcommand: {sorted(missing)}"


@pytest.mark.parametrize("command,section", CONFIG_FLAGS)
def test_config_yaml_and_the_parsers_defaults_are_the_schemas(command, section, config):
    keys = command_options(command)[section]
    from_config = settings.section_values(_parse(command, option_words(config, command)), section, keys)
    bare = settings.section_values(_parse(command, []), section, keys)
    assert from_config == bare == settings.section_values(argparse.Namespace(**{
        k.replace(".", "_"): settings.default(section, k) for k in keys}), section, keys)


def test_config_yaml_holds_the_schemas_defaults(config):
    for section in SECTIONS:
        assert config[section] == settings.defaults(section), section


def test_null_of_a_key_with_another_default_is_the_word_null(config):
    changed = _with(_with(config, "training", "batch_size", None), "training", "target_spacing_mm", None)
    words = option_words(changed, "train")
    assert all(words[words.index(flag) + 1] == "null" for flag in ("--batch-size", "--target-spacing-mm"))
    args = _parse("train", words)
    assert args.batch_size is None and args.target_spacing_mm is None
    assert "--window" not in words  # null is its default: left out


def test_flags_are_the_keys_and_values_are_checked_like_the_schema(capsys):
    assert settings.flag("min_poi_change_pp") == "--min-poi-change-pp"
    assert settings.flag("phantom.seed") == "--phantom-seed"
    with pytest.raises(SystemExit):
        _parse("train", ["--target-spacing-mm", "1", "2"])
    assert "--target-spacing-mm: expected 3 values, got 1.0 2.0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _parse("track", ["--registration", "elastic"])
    assert "invalid choice: 'elastic'" in capsys.readouterr().err
    assert _parse("segment", ["--labels", "lung=1", "ggo=3,4"]).labels == {"lung": [1], "ggo": [3, 4]}
    assert _parse("train", ["--folds", "0", "all"]).folds == [0, "all"]


def test_the_salt_is_no_flag_and_its_file_is(config, tmp_path):
    changed = _with(_with(config, "ingest", "pseudonymize", True), "ingest", "pseudonym_salt_file", "salt.txt")
    words = option_words(changed, "inventory")
    assert "--pseudonymize" in words and "--pseudonym-salt-file=salt.txt" in words
    assert not any("salt" in w and "salt-file" not in w and w != "salt.txt" for w in words)


def test_every_option_of_every_subcommand_has_help_text():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        for action in command._actions:
            assert action.help and action.help != argparse.SUPPRESS, f"lungtrack {name} {action.dest}: no help"
        assert command.format_help()  # every help text formats (a bare % would not)


def test_registration_methods_of_the_schema_are_the_implemented_ones():
    assert tuple(settings.key_schema("tracking", "registration")["enum"]) == METHODS


def test_every_subcommand_with_config_flags_is_checked():
    with_options = {c for c, m in COMMANDS.items() if hasattr(importlib.import_module(f"lungtrack.cli.{m}"), "OPTIONS")}
    assert with_options == set(REQUIRED)


def test_every_rule_running_such_a_subcommand_passes_the_config_flags(repo_root):
    blocks = []
    for path in sorted((repo_root / "workflow" / "rules").glob("*.smk")):
        blocks += re.split(r"\n\s*(?:rule|checkpoint) \w+:\n", path.read_text())[1:]
    for command in REQUIRED:
        running = [b for b in blocks if f'"lungtrack {command} ' in b]
        assert running, f"no rule runs lungtrack {command}"
        for block in running:
            assert "{params.options}" in block, f"a rule running lungtrack {command} drops its config flags"
            assert f'cli_options("{command}")' in block or "**SERIES_PARAMS" in block, command


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_shows_each_percent_sign_once(command, capsys):
    """The subcommand's description is its module docstring as written: ``POI (%)``, not ``POI (%%)``."""
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    assert "%%" not in capsys.readouterr().out
