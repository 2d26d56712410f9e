"""Whether a run analysed anything: read from the cohort table with the standard library only.

The workflow asks this when it ends, in the snakemake process, which may lack lungtrack's
dependencies (``--sdm conda``), so it reads ``cohort.csv`` with :mod:`csv`, not pandas.
"""

import csv


def nothing_analysed(path) -> str | None:
    """Why no scan of the cohort table at ``path`` was analysed (one line), or None when one was."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return "no CT study was found in the input (see ingest/inventory.tsv)"
    if "status" not in rows[0] or any(row["status"] == "ok" for row in rows):
        return None
    return f"none of the {len(rows)} scans could be analysed (see failures.tsv)"
