"""One patient's metrics records and their timepoint table (volumes in mL, POI in %, dates YYYY-MM-DD)."""

import pandas as pd

from lungtrack.errors import InputError
from lungtrack.measure.cohort import BASE_COLUMNS, cohort_table, load_metrics
from lungtrack.measure.outcome import is_analysed


def read_patient(metrics_paths, patient_id: str) -> list[dict]:
    """Every metrics record of one patient, analysed or failed (:mod:`lungtrack.measure.outcome`).

    Raises :class:`InputError` when no file is given, the files belong to different patients or
    give a timepoint twice.
    """
    if not metrics_paths:
        raise InputError(None, f"no metrics files given for patient {patient_id}")
    records = []
    for path in metrics_paths:
        record = load_metrics(path)
        for key in ("patient_id", "study_date", "timepoint"):
            if record.get(key) is None:
                raise InputError(path, f"metrics file lacks '{key}'")
        if is_analysed(record):
            for key in ("lung_ml", "lesion_ml", "poi"):
                if record.get(key) is None:
                    raise InputError(path, f"metrics file lacks '{key}'")
        records.append(record)
    patients = {r["patient_id"] for r in records}
    if len(patients) > 1:
        raise InputError(metrics_paths[0], f"metrics files of several patients given: {sorted(patients)}")
    if len({r["timepoint"] for r in records}) < len(records):
        raise InputError(metrics_paths[0], "the same timepoint is given twice")
    return records


def patient_table(records: list[dict]) -> tuple[pd.DataFrame, list[dict]]:
    """The analysed ones of a patient's records as a table ordered by date, and those records in the same order.

    Failed records (:mod:`lungtrack.measure.outcome`) are left out; with none analysed the table is empty.
    """
    analysed = [r for r in records if is_analysed(r)]
    if not analysed:
        return pd.DataFrame(columns=[*BASE_COLUMNS, "timepoint"]), []
    table = cohort_table(analysed)
    by_timepoint = {r["timepoint"]: r for r in analysed}
    return table, [by_timepoint[tp] for tp in table["timepoint"]]


def load_patient(metrics_paths, patient_id: str) -> tuple[pd.DataFrame, list[dict]]:
    """The analysed timepoints of one patient, ordered by date, and their metrics records in the same order."""
    return patient_table(read_patient(metrics_paths, patient_id))
