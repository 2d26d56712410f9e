"""Inventory of a DICOM tree: patients -> studies -> series, and the choice of one axial CT series per study.

Series choice per study: CT images that are not a localizer/scout, secondary capture, structured or
dose report or screen shot; one consistent axial orientation; at least ``min_slices`` slices; then the
thinnest slices, then the most images. ``series_uids`` (explicit choice) and ``description_pattern``
(regular expression on SeriesDescription) override the automatic choice.

Every dated study becomes a case: its chosen series, or, when no series can be analysed, the
study's largest series with ``refused`` saying why (the check then fails the case with that reason).
Patients are keyed by :mod:`lungtrack.ingest.privacy`: a study without PatientID is its own patient
(``anon-`` + hash of its StudyInstanceUID); two people under one PatientID (different PatientName or
PatientBirthDate, compared as hashes) are kept apart by a hash suffix. ``patient_id_source`` says which.
"""

import logging
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lungtrack.errors import InputError
from lungtrack.ingest.geometry import GeometryError, analyse
from lungtrack.ingest.privacy import anonymous_key, patient_key, person_key

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
STRUCTURED_REPORT = "1.2.840.10008.5.1.4.1.1.88."
LOCALIZER = re.compile(r"scout|topogram|surview|locali[sz]er|locator|scanogram|pilot", re.IGNORECASE)
REPORT = re.compile(r"dose|exam summary|patient protocol|screen ?(shot|save)|report", re.IGNORECASE)
SCREEN_IMAGE_TYPES = {"SCREEN SAVE", "SCREENSHOT", "DOSE_INFO", "REF_SURVIEW", "RESULTS"}

SERIES_COLUMNS = [
    "patient_id", "study_date", "timepoint", "series_number", "series_description", "modality",
    "n_images", "slice_thickness_mm", "slice_spacing_mm", "kernel", "manufacturer", "tilt_deg",
    "status", "study_uid", "series_uid", "path",
]
CASE_COLUMNS = ["patient_id", "study_date", "timepoint", "series_uid", "series_description",
                "n_images", "slice_thickness_mm", "patient_id_source", "refused"]
FILE_COLUMNS = ["series_uid", "path", "reason"]
# skipped files in a series' folder that are not taken for a broken slice of it
NOT_A_SLICE = re.compile(r"(^|/)\.[^/]*$|\.(txt|xml|json|pdf|html?|csv|tsv|md|ini|log|jpe?g|png|gif|bmp|zip|db|nfo)$",
                         re.IGNORECASE)
SOURCE_ID = "PatientID"
SOURCE_STUDY = "StudyInstanceUID (no PatientID)"


@dataclass(frozen=True)
class Rules:
    """Settings of the series choice (config section ``ingest``)."""

    min_slices: int = 10
    description_pattern: str | None = None
    series_uids: tuple[str, ...] = ()
    tilt: str = "resample"  # or "refuse"
    nonuniform: str = "resample"  # or "refuse"


def _iso(date: str) -> str:
    return f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 and date.isdigit() else ""


def exclusion(headers, rules: Rules):
    """(reason, geometry): why a series cannot be the study's volume ('' if it can), and its geometry."""
    first = headers[0]
    if first.sop_class_uid.startswith(SECONDARY_CAPTURE):
        return "secondary capture", None
    if first.sop_class_uid.startswith(STRUCTURED_REPORT) or first.modality == "SR":
        return "structured report (dose report)", None
    if "LOCALIZER" in first.image_type or LOCALIZER.search(first.series_description):
        return "localizer/scout", None
    if SCREEN_IMAGE_TYPES & set(first.image_type) or REPORT.search(first.series_description):
        return "dose report or derived screen shot", None
    try:
        geometry = analyse(headers)
    except GeometryError as exc:
        return str(exc), None
    if len(headers) < rules.min_slices:
        return f"{len(headers)} slices: fewer than ingest.min_slices ({rules.min_slices})", geometry
    if rules.tilt == "refuse" and geometry.is_tilted:
        return f"gantry tilt {geometry.tilt_deg:.1f} deg (ingest.tilt: refuse)", geometry
    if rules.nonuniform == "refuse" and geometry.irregular_gaps():
        return f"{geometry.gap_message()} (ingest.nonuniform: refuse)", geometry
    if not _iso(first.study_date):
        return "no study date (StudyDate, SeriesDate, AcquisitionDate, ContentDate)", geometry
    return "", geometry


def _thickness(headers, geometry):
    values = [h.slice_thickness for h in headers if h.slice_thickness]
    if values:
        return round(float(pd.Series(values).median()), 4)
    return round(geometry.slice_spacing, 4) if geometry is not None else None


def _patient_keys(headers, salt):
    """Function giving (key, patient_id_source) of a header's patient (see the module docstring)."""
    people = defaultdict(set)
    for h in headers:
        if h.patient_id.strip() and h.identity:
            people[h.patient_id].add(h.identity)
    shared = {raw: len(ids) for raw, ids in people.items() if len(ids) > 1}

    def key(h):
        if not h.patient_id.strip():
            return anonymous_key(h.study_uid or f"date:{h.study_date}", salt), SOURCE_STUDY
        base = patient_key(h.patient_id, salt)
        if h.patient_id in shared and h.identity:
            return (person_key(base, h.identity, salt),
                    f"PatientID + PatientName/PatientBirthDate (PatientID shared by {shared[h.patient_id]} people)")
        return base, SOURCE_ID

    for raw in sorted(shared):
        logging.getLogger("lungtrack.inventory").warning(
            "PatientID %s is shared by %d people (PatientName or PatientBirthDate differ): analysed apart as %s",
            patient_key(raw, salt), shared[raw],
            ", ".join(sorted({key(h)[0] for h in headers if h.patient_id == raw and h.identity})))
    return key


def broken_slices(headers, skipped):
    """(series_uid, path, reason) of every unreadable file in the folder of a series' images.

    Such a file (empty, truncated, unreadable, not DICOM) is taken for a slice of every series whose
    images lie in the same folder, unless it is a DICOMDIR, a hidden file or a document (.txt, .xml,
    .pdf, .jpg, ...): conversion then fails naming it, instead of resampling its gap as a missing slice.
    """
    series_in = defaultdict(set)
    for h in headers:
        series_in[posixpath.dirname(h.path)].add(h.series_uid)
    return [(uid, path, reason) for path, reason in skipped
            if not reason.startswith(("DICOMDIR", "folder")) and not NOT_A_SLICE.search(path)
            for uid in sorted(series_in.get(posixpath.dirname(path), ()))]


def build(headers, skipped=(), rules: Rules = Rules(), salt: str | None = None):
    """Group headers into series and studies and choose one series per study.

    Returns ``(series, cases, files)`` DataFrames: one row per series (then one per skipped file),
    one row per dated study (:data:`CASE_COLUMNS`: the chosen series, or the refused study's largest
    series and ``refused``), and :data:`FILE_COLUMNS` for every file: readable ones with an empty
    reason, unreadable ones with theirs (and the series whose folder they lie in, see
    :func:`broken_slices`).
    """
    by_series = defaultdict(list)
    for h in headers:
        by_series[h.series_uid].append(h)
    key = _patient_keys(headers, salt)
    rows = []
    for uid, group in by_series.items():
        group.sort(key=lambda h: h.path)
        first = group[0]
        reason, geometry = exclusion(group, rules)
        patient, source = key(first)
        rows.append({
            "patient_id": patient,
            "study_date": _iso(first.study_date),
            "study_time": first.study_time,
            "timepoint": "",
            "series_number": first.series_number,
            "series_description": first.series_description,
            "modality": first.modality,
            "n_images": len(group),
            "slice_thickness_mm": _thickness(group, geometry),
            "slice_spacing_mm": round(geometry.slice_spacing, 4) if geometry is not None else None,
            "kernel": first.kernel,
            "manufacturer": first.manufacturer,
            "tilt_deg": round(geometry.tilt_deg, 2) if geometry is not None else None,
            "status": reason,
            "study_uid": first.study_uid or f"date:{first.study_date}",
            "series_uid": uid,
            "path": _common_folder([h.path for h in group]),
            "patient_id_source": source,
        })
    series = pd.DataFrame(rows, columns=SERIES_COLUMNS + ["study_time", "patient_id_source"])
    series = series.astype({"series_number": "Int64", "n_images": "Int64"})
    if len(series):
        _choose(series, rules)
        _timepoints(series)
        series = _ordered(series)
    skipped_rows = pd.DataFrame(
        [{"path": path, "status": f"skipped: {reason}"} for path, reason in skipped],
        columns=SERIES_COLUMNS)
    cases = _cases(series)
    broken = broken_slices(headers, skipped)
    attributed = {path for _, path, _ in broken}
    files = pd.DataFrame([(h.series_uid, h.path, "") for h in headers] + broken
                         + [("", path, reason) for path, reason in skipped if path not in attributed],
                         columns=FILE_COLUMNS)
    files = files.sort_values(["series_uid", "path"]).reset_index(drop=True)
    table = pd.concat([series[SERIES_COLUMNS], skipped_rows], ignore_index=True) if len(skipped_rows) \
        else series[SERIES_COLUMNS].reset_index(drop=True)
    table = table.astype({"series_number": "Int64", "n_images": "Int64"})
    return table, cases, files


def read_table(path, columns):
    """A TSV written by `lungtrack inventory` as strings; one clear error when it is missing or not such a table."""
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable TSV table ({getattr(exc, 'strerror', None) or type(exc).__name__})") \
            from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(path, f"not a table of `lungtrack inventory`: no column(s) {', '.join(missing)}")
    return table


def unreadable_error(folder, broken) -> InputError:
    """InputError naming the first of ``broken`` (path, reason) by its path relative to the series' ``folder``."""
    path, reason = broken[0]
    more = f" (and {len(broken) - 1} more unreadable file(s))" if len(broken) > 1 else ""
    return InputError(posixpath.relpath(path, folder), f"a file of this series cannot be read: {reason}{more}")


def series_files(files_tsv, root, series_uid: str) -> list:
    """Paths (below ``root``) of the images of one series, from the files TSV of :func:`build`.

    Rows with a reason are unreadable files lying among the series' images: the series is refused
    (:func:`unreadable_error`) rather than converted with a gap.
    """
    files = read_table(files_tsv, ["series_uid", "path"])
    mine = files[files["series_uid"] == series_uid]
    if mine.empty:
        raise InputError(files_tsv, f"no files of series {series_uid}")
    bad = mine[mine["reason"] != ""] if "reason" in mine else mine.iloc[:0]
    if len(bad):
        folder = posixpath.commonpath([posixpath.dirname(p) for p in mine["path"]]) or "."
        raise unreadable_error(folder, list(zip(bad["path"], bad["reason"])))
    return [Path(root) / p for p in mine["path"]]


def _cases(series: pd.DataFrame) -> pd.DataFrame:
    """One case per dated study: its chosen series, or its largest series with the reasons of the refusal."""
    rows = []
    for _, study in series[series["timepoint"] != ""].groupby(["patient_id", "study_uid"], sort=False):
        chosen = study[study["status"] == "chosen"]
        if len(chosen):
            rows.append(chosen.iloc[0].to_dict() | {"refused": ""})
            continue
        ranked = study.sort_values(["n_images", "series_number"], ascending=[False, True])
        reasons = [f"series {'?' if pd.isna(r.series_number) else r.series_number}: {r.status}"
                   for r in ranked.itertuples()]
        more = f"; and {len(reasons) - 3} more series" if len(reasons) > 3 else ""
        rows.append(ranked.iloc[0].to_dict() | {"refused": "no series can be analysed: "
                                                + "; ".join(reasons[:3]) + more})
    return pd.DataFrame(rows, columns=CASE_COLUMNS).reset_index(drop=True)


def _common_folder(paths) -> str:
    """Deepest folder holding all ``paths`` (relative, '/'-separated)."""
    return posixpath.commonpath([posixpath.dirname(p) for p in paths]) or "."


def _choose(series: pd.DataFrame, rules: Rules) -> None:
    """Set status 'chosen' for one eligible series per study, a reason on the others (in place)."""
    pattern = re.compile(rules.description_pattern, re.IGNORECASE) if rules.description_pattern else None
    for _, study in series.groupby(["patient_id", "study_uid"], sort=False):
        eligible = study[study["status"] == ""]
        named = eligible[eligible["series_uid"].isin(rules.series_uids)]
        if len(named):
            series.loc[eligible.index.difference(named.index), "status"] = \
                "not chosen: ingest.series_uids names another series of this study"
            eligible = named
        elif pattern is not None:
            mismatch = eligible.index[~eligible["series_description"].fillna("").str.contains(pattern)]
            series.loc[mismatch, "status"] = "SeriesDescription does not match ingest.series_description_pattern"
            eligible = eligible.drop(mismatch)
        if not len(eligible):
            continue
        ranked = eligible.assign(_t=eligible["slice_thickness_mm"].fillna(float("inf")))
        ranked = ranked.sort_values(["_t", "n_images", "series_number"], ascending=[True, False, True])
        best = ranked.iloc[0]
        series.loc[best.name, "status"] = "chosen"
        for idx, other in ranked.iloc[1:].iterrows():
            series.loc[idx, "status"] = (
                f"not chosen: series {best['series_number']} has thinner slices"
                if other["_t"] > best["_t"] else f"not chosen: series {best['series_number']} has more images")


def _timepoints(series: pd.DataFrame) -> None:
    """Name each dated study's timepoint YYYYMMDD, with _2, _3 for later studies of a patient on one date."""
    studies = (series[series["study_date"] != ""].groupby(["patient_id", "study_uid"], as_index=False)
               .agg(study_date=("study_date", "first"), study_time=("study_time", "min"))
               .sort_values(["patient_id", "study_date", "study_time", "study_uid"]))
    studies["rank"] = studies.groupby(["patient_id", "study_date"]).cumcount() + 1
    for study in studies.itertuples():
        date = study.study_date.replace("-", "")
        same = (series["patient_id"] == study.patient_id) & (series["study_uid"] == study.study_uid)
        series.loc[same, "timepoint"] = date if study.rank == 1 else f"{date}_{study.rank}"


def _ordered(series: pd.DataFrame) -> pd.DataFrame:
    """Patients by their first study date, then studies by date and time, then series number."""
    first = series.groupby("patient_id")["study_date"].transform("min")
    study_time = series.groupby(["patient_id", "study_uid"])["study_time"].transform("min")
    return (series.assign(_first=first, _time=study_time, _n=series["series_number"].fillna(-1))
            .sort_values(["_first", "patient_id", "study_date", "_time", "study_uid", "_n", "series_uid"])
            .drop(columns=["_first", "_time", "_n"]).reset_index(drop=True))


def summary(table: pd.DataFrame, n_files: int) -> str:
    """One line: files, patients, studies, series chosen and refused."""
    series = table[table["series_uid"].notna() & (table["series_uid"] != "")]
    skipped = len(table) - len(series)
    refused = (~series["status"].str.startswith(("chosen", "not chosen"))).sum()
    return (f"inventory: {n_files} files ({skipped} skipped), {series['patient_id'].nunique()} patients, "
            f"{series['study_uid'].nunique()} studies, {len(series)} series, "
            f"{(series['status'] == 'chosen').sum()} chosen, {refused} refused")
