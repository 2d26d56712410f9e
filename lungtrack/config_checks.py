"""Checks of the workflow config that a JSON schema cannot express, run when the config is read.

Each problem is one line naming the config key, so that a bad value stops the run before any
DICOM file is read.
"""

import os
import re
from pathlib import Path

SALT_ENV = "LUNGTRACK_PSEUDONYM_SALT"


def config_problems(config: dict, environ=os.environ) -> list[str]:
    """One line per problem of ``config`` (the merged workflow config; empty list when it is fine)."""
    ingest = config.get("ingest") or {}
    problems = []
    if "pseudonym_salt" in ingest:
        problems.append("ingest.pseudonym_salt is not read any more (a salt in the config ends up in logs): "
                        f"put the salt in a file named by ingest.pseudonym_salt_file, or in ${SALT_ENV}")
    pattern = ingest.get("series_description_pattern")
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(f"ingest.series_description_pattern {pattern!r} is not a regular expression ({exc})")
    if ingest.get("pseudonymize"):
        salt_file = ingest.get("pseudonym_salt_file")
        if salt_file and not Path(salt_file).is_file():
            problems.append(f"ingest.pseudonym_salt_file {salt_file}: no such file")
        elif salt_file and not Path(salt_file).read_text(encoding="utf-8").strip():
            problems.append(f"ingest.pseudonym_salt_file {salt_file}: the file is empty")
        elif not salt_file and not environ.get(SALT_ENV):
            problems.append("ingest.pseudonymize is true but there is no salt: set ingest.pseudonym_salt_file "
                            f"to a file holding it, or export {SALT_ENV} before starting snakemake")
    return problems
