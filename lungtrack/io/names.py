"""Safe file names from identifiers (patient IDs, case keys)."""

import re

SAFE = re.compile(r"[^A-Za-z0-9._-]")


def path_safe(text: str) -> str:
    """``text`` with every character outside [A-Za-z0-9._-] replaced by '_' (never empty)."""
    return SAFE.sub("_", text.strip()) or "_"
