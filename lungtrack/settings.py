"""The config schema as the one source of every setting's default, type and help text.

``lungtrack/schemas/config.schema.yaml`` describes every config key. This module reads it (only
yaml and the standard library, so that ``lungtrack --help`` stays fast) and gives:

- :func:`defaults`: the defaults of a config section;
- :func:`add_options`: command-line flags named exactly like the keys (``min_poi_change_pp`` ->
  ``--min-poi-change-pp``; a nested key ``phantom.patients`` -> ``--phantom-patients``), their type,
  choices, number of values, default and help taken from the schema;
- :func:`section_values`: the parsed flags back as the section's dict, keyed like the config.

A ``null`` the schema allows where its default is not ``null`` is given as the word ``null``
(``--batch-size null``); an object of lists (label maps) as ``KEY=V[,V]`` items.
"""

import argparse
from functools import cache
from pathlib import Path

import yaml

SCHEMA_PATH = Path(__file__).parent / "schemas" / "config.schema.yaml"
NULL = "null"


@cache
def schema() -> dict:
    """The config schema (JSON Schema as a dict)."""
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def key_schema(section: str, key: str) -> dict:
    """The schema of ``section.key``; ``key`` may be dotted (``phantom.patients``)."""
    node = schema()["properties"][section]
    for part in key.split("."):
        node = node["properties"][part]
    return node


def leaf_keys(section: str) -> list[str]:
    """Every leaf key of ``section`` (nested ones dotted: ``phantom.seed``), in schema order."""
    def walk(node, prefix):
        for name, sub in node.get("properties", {}).items():
            if sub.get("type") == "object" and "properties" in sub:
                yield from walk(sub, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}"

    return list(walk(schema()["properties"][section], ""))


def defaults(section: str) -> dict:
    """The defaults of ``section``, nested like the config (``training`` -> ``{"phantom": {...}, ...}``)."""
    out: dict = {}
    for key in leaf_keys(section):
        *parents, name = key.split(".")
        node = out
        for parent in parents:
            node = node.setdefault(parent, {})
        node[name] = key_schema(section, key)["default"]
    return out


def default(section: str, key: str):
    """The default of one key (``default("tracking", "min_poi_change_pp")`` -> 2.0)."""
    return key_schema(section, key)["default"]


def flag(key: str) -> str:
    """The command-line flag of a key: ``min_poi_change_pp`` -> ``--min-poi-change-pp``."""
    return "--" + key.replace(".", "-").replace("_", "-")


def _dest(key: str) -> str:
    return key.replace(".", "_")


def _types(node: dict) -> list[str]:
    kind = node.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def _scalar(types: list[str], nullable: bool):
    """argparse ``type`` for values of JSON types ``types`` (the word null -> None when ``nullable``)."""
    def convert(text: str):
        if nullable and text == NULL:
            return None
        if "integer" in types:
            try:
                return int(text)
            except ValueError:
                if "string" in types:
                    return text
                raise
        if "number" in types:
            return float(text)
        return text

    convert.__name__ = next((t for t in types if t != "null"), "string")  # argparse names it in errors
    return convert


def _label_item(text: str) -> tuple[str, list[int]]:
    role, _, values = text.partition("=")
    if not role or not values:
        raise ValueError(text)
    return role.strip(), [int(v) for v in values.split(",")]


_label_item.__name__ = "KEY=V[,V]"


class _Values(argparse.Action):
    """Several values of an array (checked against minItems/maxItems) or of a label map (a dict)."""

    def __init__(self, *args, node, **kwargs):
        super().__init__(*args, **kwargs)
        self.node = node

    def __call__(self, parser, namespace, values, option_string=None):
        if "object" in _types(self.node):
            setattr(namespace, self.dest, dict(values))
            return
        if values == [None]:
            setattr(namespace, self.dest, None)
            return
        low, high = self.node.get("minItems", 0), self.node.get("maxItems")
        if len(values) < low or (high is not None and len(values) > high) or None in values:
            count = f"{low}" if low == high else f"at least {low}" if high is None else f"{low} to {high}"
            parser.error(f"{option_string}: expected {count} values, got {' '.join(map(str, values))}")
        setattr(namespace, self.dest, values)


def _help(node: dict, extra: str) -> str:
    text = " ".join(str(node.get("description", "")).split()) + extra
    if node.get("type") != "boolean":
        shown = node["default"]
        if isinstance(shown, list):
            shown = " ".join(map(str, shown)) or "none"
        elif isinstance(shown, dict):
            shown = " ".join(f"{k}={','.join(map(str, v))}" for k, v in shown.items()) or "none"
        text += f" (default: {NULL if shown is None else shown})"
    return text.replace("%", "%%")


def add_options(parser, section: str, keys, help_suffix: dict | None = None) -> None:
    """Add a flag for each ``section.key`` of ``keys`` to ``parser``, typed and documented by the schema.

    ``help_suffix``: key -> text appended to the schema's description (what the option means on
    this command line, e.g. which rule passes it).
    """
    for key in keys:
        node = key_schema(section, key)
        types = _types(node)
        nullable = "null" in types
        non_null_default = node["default"] is not None
        kwargs: dict = {"dest": _dest(key), "default": node["default"],
                        "help": _help(node, (help_suffix or {}).get(key, ""))}
        if "boolean" in types:
            if node["default"]:
                raise ValueError(f"{section}.{key}: a boolean option must default to false")
            parser.add_argument(flag(key), action="store_true", **kwargs)
            continue
        if "object" in types:
            kwargs.update(nargs="+", type=_label_item, action=_Values, node=node, metavar="KEY=V[,V]")
        elif "array" in types:
            items = node.get("items", {})
            kwargs.update(nargs="+", type=_scalar(_types(items), nullable and non_null_default), action=_Values,
                          node=node, metavar=key.split(".")[-1].upper())
        else:
            kwargs["type"] = _scalar(types, nullable and non_null_default)
            if "enum" in node:
                kwargs["choices"] = [c for c in node["enum"] if c is not None]
        parser.add_argument(flag(key), **kwargs)


def section_values(args, section: str, keys=None) -> dict:
    """The parsed values of ``section``'s flags (all leaf keys, or ``keys``), nested like the config."""
    out: dict = {}
    for key in keys if keys is not None else leaf_keys(section):
        *parents, name = key.split(".")
        node = out
        for parent in parents:
            node = node.setdefault(parent, {})
        node[name] = getattr(args, _dest(key))
    return out


def command_line(values: dict, section: str, keys) -> list[str]:
    """The flags that give ``values`` (the config's ``section``, nested) to a parser of :func:`add_options`.

    ``null`` is left out where it is the default, given as the word null otherwise; lists are
    space-separated values; ``true`` is the bare flag, ``false`` is left out; label maps are
    ``KEY=V[,V]`` items. Returns the words of the command line, unquoted.
    """
    words: list[str] = []
    for key in keys:
        value = values
        for part in key.split("."):
            value = value[part]
        node = key_schema(section, key)
        if value is None:
            words += [] if node["default"] is None else [flag(key), NULL]
        elif isinstance(value, bool):
            words += [flag(key)] if value else []
        elif isinstance(value, dict):
            words += [flag(key), *(f"{k}={','.join(map(str, v))}" for k, v in value.items())] if value else []
        elif isinstance(value, list):
            words += [flag(key), *map(str, value)] if value else []
        else:
            words.append(f"{flag(key)}={value}")
    return words
