"""The status of a scan, shared by every record that carries one.

Case status files (:mod:`lungtrack.ingest.status`) and metrics JSONs (:mod:`lungtrack.measure.outcome`)
both say ``status``: ``ok``, or ``failed`` with ``failed_step`` and a one-line ``reason``; a failed
scan becomes a row of ``failures.tsv`` and a marked row of ``cohort.csv``.
"""

OK, FAILED = "ok", "failed"
#: Keys that name a scan in every record: patient, study date (YYYY-MM-DD) and timepoint (YYYYMMDD[_n]).
CASE_KEYS = ("patient_id", "study_date", "timepoint")
#: Columns of failures.tsv, in order.
FAILURE_COLUMNS = [*CASE_KEYS, "failed_step", "reason"]
