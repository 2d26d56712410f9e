"""Whether a measured scan may be used: the ``status`` of a metrics record.

Every metrics JSON of ``lungtrack measure`` carries ``status``: ``ok``, or ``failed`` with
``failed_step`` and a one-line ``reason``, like a case status file (:mod:`lungtrack.ingest.status`):

- ``segment`` or ``measure``: that step raised; the record has no measurements;
- ``qc``: quality control failed (:mod:`lungtrack.measure.qc`, e.g. no lungs found, a crop); the
  measurements are kept in the JSON for inspection but no table, report or change call uses them.

Tracking, reports, the cohort table and the evaluation use the ``ok`` records only.
"""

from lungtrack.measure.qc import FAIL
from lungtrack.records import CASE_KEYS, FAILED, OK


def qc_outcome(qc: dict) -> dict:
    """``status`` (and ``failed_step``, ``reason``) of a scan from its QC record (``qc``, ``qc_reasons``)."""
    if qc.get("qc") == FAIL:
        return {"status": FAILED, "failed_step": "qc", "reason": "; ".join(qc.get("qc_reasons") or [])}
    return {"status": OK}


def failed_record(acquisition: dict, step: str, reason: str) -> dict:
    """The metrics record of a scan whose ``step`` failed: its identity and acquisition, no measurements."""
    return {**{key: acquisition.get(key) for key in CASE_KEYS}, "status": FAILED, "failed_step": step,
            "reason": reason, "acquisition": acquisition}


def case_outcome(record: dict) -> dict:
    """The record's identity and status as a case status record (``status``, ``failed_step``, ``reason``).

    Records written before ``status`` existed count as failed when their QC failed.
    """
    outcome = ({"status": FAILED, "failed_step": record.get("failed_step", ""), "reason": record.get("reason", "")}
               if record.get("status") == FAILED else qc_outcome(record))
    return {**{key: record.get(key) for key in CASE_KEYS}, **outcome}


def is_analysed(record: dict) -> bool:
    """Whether the record's measurements may be used."""
    return case_outcome(record)["status"] == OK
