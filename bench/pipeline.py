"""Per-case steps on a real-size CT: time, peak memory, and time against the I/O floor.

    python bench/pipeline.py [--slices 300] [--matrix 512] [--work DIR] [--baseline TREE]

Writes a phantom of one patient x 2 CT scans (512 x 512 x 300 voxels of 0.7 x 0.7 x 1.0 mm by
default) as DICOM, inventories it, then runs each per-case step of the workflow as its own
``lungtrack`` process, as the rules do: convert (``convert --status``: the check and the
conversion in one decode), segment_lungs, segment_lesions, measure, and track (the patient's 2 scans). For each step it
prints the wall time (s), the peak resident memory of the process (MB, ``ru_maxrss`` of that
child), and the time as a ratio to the I/O floor: reading and writing the converted CT volume
(.nii.gz) once in this process. With ``../shared/data/realct/pyradiomics-lung2`` present, the
real CT goes through the same steps from segment_lungs on (it is a NIfTI volume: no DICOM steps).

``--baseline TREE``: a checkout of another version of lungtrack (e.g. ``git archive main``);
every step also runs with that tree first on ``PYTHONPATH``, side by side in this same run, and
the table adds its time and memory, the ratio now/baseline, and whether the masks are identical
voxel for voxel and the measurements equal (every number of the metrics JSON within 1e-9). A
baseline from before the one-decode ingest runs its two processes there (``convert --check``, then
``convert``), and its convert row is their sum (time) and the larger peak.
``--ingest-only``: the phantom's convert step alone (no segmentation, tracking or real CT).
``--repeat N``: every step runs N times (the baseline's and this tree's runs alternating); the table
gives the median wall time and the largest peak, the per-step lines every run's time. On a virtual
machine the first runs after its start are the slowest (its memory is first touched then).
Targets (issue 13), printed as met or not for the default 512 x 512 x 300 phantom (other sizes: not
checked): the per-CT chain convert + lungs + lesions + measure in <= 20 s, tracking in <= 10 s per
follow-up scan, peak memory <= 2 GB per job.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

REPO = Path(__file__).resolve().parents[1]
REALCT = REPO.parent / "shared" / "data" / "realct" / "pyradiomics-lung2" / "ct.nii.gz"
MEMORY_TARGET_MB = 2000
CHAIN_TARGET_S = 20.0  # the phantom's per-CT chain (convert, lungs, lesions, measure), wall s
TRACK_TARGET_S = 10.0  # tracking, wall s per follow-up scan
#: The default phantom, the one the targets are set for: in-plane pixels, pixel and slice spacing (mm), slices.
PHANTOM = {"matrix": 512, "pixel_mm": 0.7, "slice_mm": 1.0, "slices": 300}


# A small Python process forks the step and reports its peak RSS: a child started straight from this
# process would inherit this process's own peak (Linux keeps ru_maxrss across exec).
_LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_step(command: list[str], tree: Path | None) -> dict:
    """Run ``python -m lungtrack <command>`` in ``tree`` (first on sys.path through the working directory and
    PYTHONPATH); wall s and peak RSS (MB). Paths in ``command`` must be absolute."""
    env = dict(os.environ, PYTHONPATH=str(tree or REPO))
    with tempfile.NamedTemporaryFile() as peak:
        start = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", _LAUNCHER, peak.name, sys.executable, "-m", "lungtrack",
                              *command], env=env, cwd=str(tree or REPO), capture_output=True, text=True)
        wall = time.perf_counter() - start
        if res.returncode != 0:
            sys.exit(f"bench/pipeline.py: lungtrack {' '.join(command)} failed:\n{(res.stdout + res.stderr)[-3000:]}")
        return {"s": wall, "mb": int(Path(peak.name).read_text()) / 1024}


def run_commands(commands: list[list[str]], tree: Path | None) -> dict:
    """Run the processes of one step one after the other: their summed wall s and the largest peak RSS (MB)."""
    runs = [run_step(command, tree) for command in commands]
    return {"s": sum(r["s"] for r in runs), "mb": max(r["mb"] for r in runs)}


def median_run(runs: list[dict]) -> dict:
    """Repeated runs of one step: the median wall s, the largest peak MB and every run's s."""
    return {"s": float(np.median([r["s"] for r in runs])), "mb": max(r["mb"] for r in runs),
            "runs": [r["s"] for r in runs]}


def one_pass(tree: Path | None) -> bool:
    """Whether the tree's convert checks and converts in one process (``--status``), as the rule does."""
    return "--status" in ((tree or REPO) / "lungtrack" / "cli" / "convert.py").read_text()


def io_floor(image_path: Path, work: Path) -> float:
    """Seconds to read the CT volume and write it (.nii.gz) once, in this process."""
    start = time.perf_counter()
    sitk.WriteImage(sitk.ReadImage(str(image_path)), str(work / "io_floor.nii.gz"), useCompression=True)
    return time.perf_counter() - start


def make_phantom(work: Path, matrix: int, pixel_mm: float, slice_mm: float, slices: int) -> Path:
    """Phantom DICOM tree of 1 patient x 2 scans below ``work`` (kept when it is there already)."""
    from lungtrack.phantom import generate_cohort

    if not (work / "phantom" / "truth" / "manifest.csv").exists():
        generate_cohort(work / "phantom", patients=1, timepoints=2, seed=7, matrix=matrix, pixel_mm=pixel_mm,
                        slice_mm=slice_mm, n_slices=slices)
    return work / "phantom" / "dicom"


def case_steps(case: dict, folder: Path, dicom: Path | None, ingest: Path | None, image: Path | None,
               tree: Path | None = None) -> list:
    """(step name, commands) of one case into ``folder``, as ``tree``'s rules run them; DICOM steps when
    ``dicom`` is given."""
    tp = case["timepoint"]
    image = image or folder / f"{tp}.nii.gz"
    lungs, lesions = folder / f"{tp}_lungs.nii.gz", folder / f"{tp}_lesions.nii.gz"
    steps = []
    if dicom is not None:
        source = ["--files", str(ingest / "files.tsv"), "--root", str(dicom), "--series", case["series_uid"],
                  "--cases", str(ingest / "cases.tsv")]
        status, convert = str(folder / f"{tp}.status.json"), ["convert", *source, str(image), "--sidecar",
                                                            str(folder / f"{tp}.json")]
        steps += [("convert", [[*convert, "--status", status]] if one_pass(tree) else
                   [["convert", *source, "--check", status], convert])]
    sidecar = ["--sidecar", str(folder / f"{tp}.json")] if dicom is not None else []
    steps += [("segment_lungs", [["segment-lungs", str(image), str(lungs)]]),
              ("segment_lesions", [["segment-lesions", str(image), str(lungs), str(lesions)]]),
              ("measure", [["measure", str(image), str(lungs), str(lesions), *sidecar,
                            "--out", str(folder / f"{tp}.metrics.json")]])]
    return steps


def _numbers(record, prefix=""):
    """Flatten the numbers of a metrics record: {dotted key: value}."""
    if isinstance(record, dict):
        return {k: v for key, value in record.items() for k, v in _numbers(value, f"{prefix}{key}.").items()}
    if isinstance(record, (int, float)) and not isinstance(record, bool):
        return {prefix.rstrip("."): float(record)}
    return {}


def same_outputs(step: str, now: Path, base: Path, tp: str) -> str:
    """'yes' when the step's outputs under ``now`` and ``base`` agree (masks voxel for voxel, metrics
    numbers within 1e-9, QC reasons equal), else what differs; '' for steps without such outputs."""
    if step in ("segment_lungs", "segment_lesions"):
        name = f"{tp}_{'lungs' if step == 'segment_lungs' else 'lesions'}.nii.gz"
        a, b = (sitk.GetArrayFromImage(sitk.ReadImage(str(d / name))) for d in (now, base))
        return "yes" if np.array_equal(a, b) else f"NO ({int((a != b).sum())} voxels differ)"
    if step == "convert":
        a, b = (sitk.GetArrayFromImage(sitk.ReadImage(str(d / f"{tp}.nii.gz"))) for d in (now, base))
        return "yes" if np.array_equal(a, b) else "NO"
    if step == "measure":
        a, b = (json.loads((d / f"{tp}.metrics.json").read_text()) for d in (now, base))
        na, nb = _numbers(a), _numbers(b)
        bad = [k for k in set(na) | set(nb) if not np.isclose(na.get(k, np.nan), nb.get(k, np.nan), rtol=0,
                                                            atol=1e-9, equal_nan=True)]
        if a.get("qc_reasons") != b.get("qc_reasons"):
            bad.append("qc_reasons")
        return "yes" if not bad else "NO (" + ", ".join(sorted(bad)[:4]) + ")"
    return ""


def run_case(label: str, steps_now: list, steps_base: list | None, tree: Path | None, rows: list, tp: str,
             now: Path, base: Path | None, repeat: int = 1) -> None:
    """Run the steps ``repeat`` times each (the baseline's first, with ``tree``), appending a row per step
    to ``rows``."""
    for (step, commands), base_step in zip(steps_now, steps_base or [None] * len(steps_now)):
        row = {"ct": label, "step": step}
        runs = {"base": [], "now": []}
        for _ in range(repeat):
            if base_step is not None:
                runs["base"].append(run_commands(base_step[1], tree))
            runs["now"].append(run_commands(commands, None))
        row.update({name: median_run(r) for name, r in runs.items() if r})
        row["same"] = same_outputs(step, now, base, tp) if base is not None else ""
        rows.append(row)
        base_text = f" (baseline {_times(row['base'])}, {row['base']['mb']:.0f} MB; identical: {row['same'] or '-'})" \
            if "base" in row else ""
        print(f"  {label} {step}: {_times(row['now'])}, {row['now']['mb']:.0f} MB{base_text}", file=sys.stderr)


def _times(run: dict) -> str:
    """'9.8 s', or with repeated runs 'median 9.8 s (10.2, 9.8, 9.5)'."""
    if len(run["runs"]) == 1:
        return f"{run['s']:.1f} s"
    return f"median {run['s']:.1f} s ({', '.join(f'{s:.1f}' for s in run['runs'])})"


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def print_table(rows: list, floors: dict, phantom: str, follow_ups: int, targets: bool) -> None:
    """The table of ``rows``, a line per CT, and the issue's targets when ``targets`` (the phantom is of
    the size they are set for)."""
    with_base = any("base" in r for r in rows)
    head = f"{'ct':18} {'step':16} {'s':>7} {'peak_MB':>8} {'x_io':>6}"
    if with_base:
        head += f" {'base_s':>7} {'base_MB':>8} {'s/base':>7} {'identical':>10}"
    print(head)
    for r in rows:
        line = f"{r['ct']:18} {r['step']:16} {r['now']['s']:>7.1f} {r['now']['mb']:>8.0f} " \
               f"{r['now']['s'] / floors[r['ct']]:>6.1f}"
        if "base" in r:
            line += f" {r['base']['s']:>7.1f} {r['base']['mb']:>8.0f} {r['now']['s'] / r['base']['s']:>7.2f} " \
                    f"{r['same'] or '-':>10}"
        print(line)
    for ct in floors:
        chain = [r for r in rows if r["ct"] == ct and r["step"] != "track"]
        total = sum(r["now"]["s"] for r in chain)
        peak = max(r["now"]["mb"] for r in rows if r["ct"] == ct)
        line = f"{ct}: per-CT chain {total:.1f} s ({total / floors[ct]:.1f} x the I/O floor of " \
               f"{floors[ct]:.2f} s), peak memory {peak:.0f} MB"
        if all("base" in r for r in chain):
            base_total = sum(r["base"]["s"] for r in chain)
            line += f"; baseline chain {base_total:.1f} s, now/baseline {total / base_total:.2f}"
        print(line)
        if targets and ct == phantom and \
                {r["step"] for r in chain} >= {"convert", "segment_lungs", "segment_lesions", "measure"}:
            print(f"target per-CT chain <= {CHAIN_TARGET_S:.0f} s: {total:.1f} s, {_verdict(total, CHAIN_TARGET_S)}")
    if not targets:
        print("targets not checked: they are set for the default phantom "
              "({matrix} x {matrix} x {slices}, {pixel_mm} / {slice_mm} mm)".format(**PHANTOM))
        return
    for r in rows:
        if r["step"] == "track" and follow_ups:
            per_scan = r["now"]["s"] / follow_ups
            print(f"target tracking <= {TRACK_TARGET_S:.0f} s per follow-up scan: {per_scan:.1f} s "
                  f"({follow_ups} follow-up), {_verdict(per_scan, TRACK_TARGET_S)}")
    peak = max(r["now"]["mb"] for r in rows)
    print(f"target peak memory <= {MEMORY_TARGET_MB} MB per job: {peak:.0f} MB, {_verdict(peak, MEMORY_TARGET_MB)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=int, default=PHANTOM["matrix"], help="in-plane pixels (default %(default)s)")
    parser.add_argument("--pixel-mm", type=float, default=PHANTOM["pixel_mm"],
                        help="in-plane pixel spacing, mm (default %(default)s)")
    parser.add_argument("--slice-mm", type=float, default=PHANTOM["slice_mm"],
                        help="slice spacing, mm (default %(default)s)")
    parser.add_argument("--slices", type=int, default=PHANTOM["slices"], help="slices (default %(default)s)")
    parser.add_argument("--work", type=Path, help="work in this folder and keep it (a phantom there is reused)")
    parser.add_argument("--baseline", type=Path, help="another lungtrack tree to run side by side")
    parser.add_argument("--no-realct", action="store_true", help="skip ../shared's real CT")
    parser.add_argument("--ingest-only", action="store_true", help="the phantom's convert step alone")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every step; the table gives the median")
    parser.add_argument("--scans", type=int, choices=(1, 2), default=2,
                        help="phantom scans to run: 2 (the table shows the first; both are tracked) or 1 (no track)")
    args = parser.parse_args()
    base_tree = args.baseline.resolve() if args.baseline else None

    work = (args.work or Path(tempfile.mkdtemp(prefix="lungtrack-pipeline-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    rows, floors = [], {}
    try:
        dicom = make_phantom(work, args.matrix, args.pixel_mm, args.slice_mm, args.slices)
        ingest = work / "ingest"
        ingest.mkdir(exist_ok=True)
        inventory = ["inventory", str(dicom), str(ingest / "inventory.tsv"), "--files", str(ingest / "files.tsv"),
                     "--cases", str(ingest / "cases.tsv")]
        run_step(inventory, None)
        import pandas as pd

        cases = pd.read_csv(ingest / "cases.tsv", sep="\t", dtype=str).to_dict("records")
        label = f"phantom {args.matrix}x{args.matrix}x{args.slices}"
        folders = {"now": work / "now", "base": work / "base" if base_tree else None}
        for folder in filter(None, folders.values()):
            folder.mkdir(exist_ok=True)
        for k, case in enumerate(cases[: args.scans]):
            tp = case["timepoint"]
            steps = {name: case_steps(case, f, dicom, ingest, None, base_tree if name == "base" else None)
                     if f else None for name, f in folders.items()}
            if args.ingest_only:
                steps = {name: s and s[:1] for name, s in steps.items()}
            case_rows = rows if k == 0 else []  # the table shows the first CT; the second is for tracking
            run_case(label, steps["now"], steps["base"], base_tree, case_rows, tp, folders["now"], folders["base"],
                     args.repeat)
        floors[label] = io_floor(folders["now"] / f"{cases[0]['timepoint']}.nii.gz", work)
        if args.scans > 1 and not args.ingest_only:
            track = {name: ["track", "--patient-id", cases[0]["patient_id"], "--out-dir", str(f / "tracking"),
                            *[str(f / f"{c['timepoint']}.metrics.json") for c in cases],
                            *(word for flag, suffix in (("--images", ""), ("--lungs", "_lungs"),
                                                        ("--lesions", "_lesions"))
                              for word in (flag, *[str(f / f"{c['timepoint']}{suffix}.nii.gz") for c in cases]))]
                     for name, f in folders.items() if f}
            run_case(label, [("track", [track["now"]])], [("track", [track["base"]])] if base_tree else None,
                     base_tree, rows, "", folders["now"], None, args.repeat)
        realct = not (args.no_realct or args.ingest_only)
        if realct and REALCT.exists():
            real = "pyradiomics-lung2"
            floors[real] = io_floor(REALCT, work)
            case = {"timepoint": "real"}
            steps = {name: case_steps(case, f, None, None, REALCT) if f else None for name, f in folders.items()}
            run_case(real, steps["now"], steps["base"], base_tree, rows, "real", folders["now"], folders["base"],
                     args.repeat)
        elif realct:
            print(f"real CT not available: {REALCT} is absent", file=sys.stderr)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    at_target_size = all(getattr(args, name) == value for name, value in PHANTOM.items())
    print_table(rows, floors, label, args.scans - 1 if not args.ingest_only else 0, at_target_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
