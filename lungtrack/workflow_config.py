"""Config values given on Snakemake's command line, typed by the config schema.

``snakemake --config demo='{patients: 5}'`` parses nested values as strings ('5'). Before the
schema is checked, a string where the schema expects no string is read as YAML (so '5' -> 5,
'null' -> None, '[1, 2]' -> [1, 2]); anything else is left for the schema to judge.
"""

import yaml


def _types(schema: dict) -> set:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def typed_config(value, schema: dict):
    """``value`` with command-line strings converted where ``schema`` expects another type."""
    if isinstance(value, dict):
        props, other = schema.get("properties", {}), schema.get("additionalProperties")
        other = other if isinstance(other, dict) else {}
        return {k: typed_config(v, props.get(k, other)) for k, v in value.items()}
    if isinstance(value, list):
        return [typed_config(v, schema.get("items", {})) for v in value]
    if isinstance(value, str) and _types(schema) and "string" not in _types(schema):
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            return value
    return value
