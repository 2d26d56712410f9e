"""Case status: whether a timepoint can be analysed, or why not (``lungtrack convert --status``).

A status file is a small JSON per case: ``patient_id``, ``study_date`` (YYYY-MM-DD), ``timepoint``,
``status`` (``ok`` or ``failed``), and for a failed case ``failed_step`` and ``reason`` (one line,
files named relative to the series' folder, so that no input folder name reaches a result).
The workflow gathers them into one table (:func:`status_table`, ``lungtrack case-status``) and
analyses only the ``ok`` cases; the failed ones become rows of ``failures.tsv``, marked rows of
``cohort.csv`` and warnings in the patient report.
"""

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lungtrack.errors import InputError
from lungtrack.io.atomic import write_text
from lungtrack.records import CASE_KEYS, FAILED, FAILURE_COLUMNS, OK

if TYPE_CHECKING:
    import pandas

#: Columns of the case status table (status/cases.tsv), in order.
STATUS_COLUMNS = [*CASE_KEYS, "status", "failed_step", "reason"]


def reason_text(error: InputError, root=None) -> str:
    """One line naming the file (relative to ``root`` when below it, else by its name) and the reason.

    An error about ``root`` itself (the series' folder) is the reason alone.
    """
    if error.path is None:
        return error.reason
    path = error.path
    if root is not None:
        try:
            path = path.resolve().relative_to(Path(root).resolve())
        except ValueError:
            path = Path(path.name)
        if path == Path("."):
            return error.reason
    return f"{path}: {error.reason}"


def failure_reason(exc: Exception) -> str:
    """One-line reason of an error raised by a step: the InputError's, or the exception's first line."""
    if isinstance(exc, InputError):
        return reason_text(exc)
    message = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {message}"


def write_status(path, case: dict, step: str, reason: str | None = None) -> None:
    """Write the status of ``case`` (patient_id, study_date, timepoint): ok, or failed at ``step`` for ``reason``.

    The keys of ``case`` that are absent (a step that does not know its case) are left out.
    """
    record = {key: case[key] for key in ("patient_id", "study_date", "timepoint") if key in case}
    if reason is None:
        record["status"] = OK
    else:
        record.update(status=FAILED, failed_step=step, reason=reason)
    write_text(path, json.dumps(record, indent=2) + "\n")


def run_step(status, step: str, work) -> bool:
    """Run ``work()``; with a ``status`` path, record its outcome there instead of raising.

    Returns whether it succeeded. Without ``status`` an error propagates (the command line turns
    it into one line and exit code 2). The workflow gives ``status``, so that a scan that breaks a
    step becomes a failed row instead of stopping the run.
    """
    if status is None:
        work()
        return True
    try:
        work()
    except Exception as exc:  # noqa: BLE001 - any error of the step fails this scan only
        reason = failure_reason(exc)
        logging.getLogger("lungtrack").error("%s failed: %s", step, reason)
        write_status(status, {}, step, reason)
        return False
    write_status(status, {}, step)
    return True


def read_status(path) -> dict:
    """One status record, with a clear error naming the file."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not a readable case status file ({exc})") from None
    if record.get("status") not in (OK, FAILED):
        raise InputError(path, f"case status {record.get('status')!r} is neither ok nor failed")
    return record


def status_table(records: list[dict]) -> "pandas.DataFrame":
    """Every record as a row of :data:`STATUS_COLUMNS` (``failed_step`` and ``reason`` empty when ok),
    by patient and timepoint."""
    import pandas as pd  # here: the workflow reads status files at parse time, where pandas may be absent

    rows = [{c: r.get(c, "") for c in STATUS_COLUMNS} for r in records]
    table = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    return table.sort_values(["patient_id", "timepoint"], kind="stable").reset_index(drop=True)


def failures_table(records: list[dict]) -> "pandas.DataFrame":
    """The failed cases of ``records`` as a table of :data:`FAILURE_COLUMNS`, by patient and timepoint."""
    table = status_table(records)
    return table.loc[table["status"] == "failed", FAILURE_COLUMNS].reset_index(drop=True)
