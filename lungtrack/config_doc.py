"""The README's configuration table, generated from the workflow's config schema.

Run ``python -m lungtrack.config_doc`` after changing ``lungtrack/schemas/config.schema.yaml``;
a test fails while the README's table differs from the schema.
"""

import json
import re
import sys
from pathlib import Path

from lungtrack.settings import schema as config_schema

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"


def _rows(schema: dict, prefix: str = ""):
    for key, sub in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        if sub.get("type") == "object" and "properties" in sub:
            yield from _rows(sub, f"{name}.")
            continue
        kind = sub.get("type", "")
        kind = " or ".join(kind) if isinstance(kind, list) else kind
        if "enum" in sub:
            kind += " (" + ", ".join(map(str, sub["enum"])) + ")"
        default = json.dumps(sub.get("default"))
        description = " ".join(str(sub.get("description", "")).split()).replace("|", "\\|")
        yield f"| `{name}` | {kind} | `{default}` | {description} |"


def config_table(schema: dict) -> str:
    """Markdown table of every leaf key: name (dotted), type, default, description."""
    lines = ["| key | type | default | description |", "|---|---|---|---|", *_rows(schema)]
    return "\n".join(lines)


def readme_with_table(readme: str, schema: dict) -> str:
    """``readme`` with the text between the config-table markers replaced by the table."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n{config_table(schema)}\n{END}", readme)


def main() -> int:
    schema = config_schema()
    readme = REPO / "README.md"
    readme.write_text(readme_with_table(readme.read_text(), schema))
    return 0


if __name__ == "__main__":
    sys.exit(main())
