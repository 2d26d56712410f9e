"""The whole evaluation of a cohort: cases.csv, scans.csv, summary.csv and evaluation.html."""

import logging
from pathlib import Path

from lungtrack.evaluate.cases import evaluate_cases, read_metrics
from lungtrack.evaluate.labels import read_labels, scan_labels
from lungtrack.evaluate.page import render_page
from lungtrack.evaluate.summary import scan_detection, summarise
from lungtrack.io.atomic import write_text
from lungtrack.measure.outcome import is_analysed

log = logging.getLogger("lungtrack.evaluate")

OUTPUTS = ("cases.csv", "scans.csv", "summary.csv", "evaluation.html")


def evaluate_cohort(metrics_paths, scan_files, out_dir, reference_dir=None, labels_path=None, score: str = "poi",
                    threshold: float = 1.0, tolerances_mm=(1.0, 2.0), n_boot: int = 2000, seed: int = 0) -> dict:
    """Evaluate every analysed case and write the outputs to ``out_dir``; returns the paths written.

    ``scan_files``: the CT and masks of each metrics file, in the order of ``metrics_paths``
    (:func:`lungtrack.io.scan_files.pair_scan_files`); those of failed cases are not read.

    Cases whose metrics status is failed (:mod:`lungtrack.measure.outcome`) are left out, with a note.
    """
    analysed = [(p, f) for p, f in zip(metrics_paths, scan_files, strict=True) if is_analysed(read_metrics(p))]
    cases, scans = evaluate_cases([p for p, _ in analysed], [f for _, f in analysed], reference_dir, tolerances_mm)
    labels = scan_labels(scans, read_labels(labels_path) if labels_path else None)
    scans = scans.assign(label=labels)
    detection = scan_detection(scans, labels, score, threshold, n_boot, seed)
    summary = summarise(cases, detection, score)
    n_ref = len(cases[["patient_id", "timepoint"]].drop_duplicates())
    source = "the label table" if labels_path else "the reference (present when its lesion mask is non-empty)"
    notes = [
        f"{len(scans)} scans, {n_ref} with reference masks, resampled onto each image grid with nearest"
        " neighbour where their grid differs.",
        "Errors are pipeline − reference. Both masks empty: Dice, IoU and NSD 1, HD95 blank;",
        "one empty: Dice, IoU and NSD 0, HD95 blank. HD95 is the larger directed 95th percentile of boundary",
        f"distances (mm). Detection: {score} as score, scan positive when at or above the threshold;",
        f"truth from {source}; AUC interval from {n_boot} stratified bootstrap resamples,",
        "sensitivity and specificity intervals exact (Clopper-Pearson).",
    ]
    if len(analysed) < len(metrics_paths):
        notes.append(f"{len(metrics_paths) - len(analysed)} scans not analysed (status failed, see failures.tsv)"
                     " are left out.")
    if detection is None:
        notes.append("Scan-level detection not computed: it needs labelled scans with and without pneumonia.")
    out_dir = Path(out_dir)
    paths = {name: out_dir / name for name in OUTPUTS}
    write_text(paths["cases.csv"], cases.to_csv(index=False, float_format="%.6g"))
    write_text(paths["scans.csv"], scans.to_csv(index=False, float_format="%.6g"))
    write_text(paths["summary.csv"], summary.to_csv(index=False, float_format="%.6g"))
    write_text(paths["evaluation.html"], render_page(cases, summary, detection, score, notes))
    lesion = cases[cases["label"] == "lesion"]
    log.info(
        "evaluated %d scans (%d with references): mean lung Dice %.3f, lesion Dice %.3f, POI error %.2f pp%s",
        len(scans), n_ref, cases.loc[cases["label"] == "lung", "dice"].mean(), lesion["dice"].mean(),
        lesion["poi_error_pp"].mean(),
        f", AUC {detection.auc:.3f}" if detection else "",
    )
    return paths
