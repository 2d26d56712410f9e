"""Cohort throughput: N patients × T timepoints through the threshold backend, locally and on SLURM.

For every cohort size and executor it runs the whole workflow on a fresh results folder and prints
the wall time, the time per case (patient × timepoint), the CPU time of the snakemake process itself
per case (its scheduling and DAG evaluations, without the jobs: on a machine shared with other work
the steadier measure of what grows with the cohort), the jobs run, and for SLURM the SLURM jobs
submitted and the overhead per SLURM job (its wall time minus the local one, over its SLURM jobs).
Ratios compare the time per case with the baseline: the smallest cohort run locally in this process
by the same tree; a flat ratio as the cohort grows means the cost per case does not grow with the
cohort (target, issue 13: the largest cohort within 1.10 of the smallest).

``--baseline TREE``: a checkout of another version of lungtrack (e.g. ``git archive main``); every
cohort also runs with that tree's Snakefile, package and profiles, just before this tree's run of the same
cohort, and the summary gives both trees' growth and whether their cohort.csv are equal.

The SLURM runs use the one-node cluster of .ci/slurm/start.sh (started here, and stopped after,
when none answers). Example, the full size (long on 2 cores):
    python bench/cohort.py --patients 5 20 --timepoints 3 [--baseline TREE]
and a quick one:  python bench/cohort.py --patients 1 2 --timepoints 2 --executors local
Smaller CTs (``--matrix 144 --pixel-mm 2.4``: the demo's field of view, 0.56 x its voxels) leave the
work per case smaller and so show the cost that grows with the cohort more clearly.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
EXECUTORS = ("local", "slurm")


def profile_args(executor: str, tree: Path) -> list[str]:
    """The profile of ``executor`` in ``tree``: each tree runs with its own settings of the scheduler."""
    args = ["--profile", str(tree / "workflow/profiles" / executor)]
    return args + (["--workflow-profile", str(tree / ".ci/slurm/profile")] if executor == "slurm" else [])


def make_cohorts(work: Path, sizes: list[int], timepoints: int, seed: int, phantom_args: list[str]) -> dict[int, Path]:
    """One phantom of max(sizes) patients; each size gets a DICOM tree of its first N patients."""
    phantom = work / "phantom"
    subprocess.run([sys.executable, "-m", "lungtrack", "phantom", str(phantom), "--patients", str(max(sizes)),
                    "--timepoints", str(timepoints), "--seed", str(seed), *phantom_args], check=True,
                   capture_output=True)
    patients = sorted(p for p in (phantom / "dicom").iterdir() if p.is_dir())
    trees = {}
    for n in sizes:
        trees[n] = work / f"dicom_{n}"
        for patient in patients[:n]:
            shutil.copytree(patient, trees[n] / patient.name)
    return trees


def run_workflow(work: Path, executor: str, dicom: Path, cores: int, tree: Path, label: str) -> dict:
    """Run the whole workflow of ``tree`` once; wall time (s), snakemake's own CPU s, its jobs and SLURM jobs."""
    name = f"{label}_{executor}_{dicom.name}"
    rundir, results = work / f"run_{name}", work / f"results_{name}"
    rundir.mkdir()
    (rundir / "config.yaml").write_text(yaml.safe_dump({"dicom_dir": str(dicom), "results_dir": str(results)}))
    # the tree's package first, in snakemake and in every job's `lungtrack`
    env = [f"PATH={Path(sys.executable).parent}:{os.environ.get('PATH', '')}", f"PYTHONPATH={tree}"]
    cmd = ["env", *env, sys.executable, "-m", "snakemake", "--snakefile", str(tree / "Snakefile"),
           "--directory", str(rundir), *profile_args(executor, tree), "--cores", str(cores)]
    start = time.perf_counter()
    with open(rundir / "snakemake.log", "w+") as log:
        # in the tree's folder: python -m puts the working directory before PYTHONPATH
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(tree))
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # ended, not yet reaped: its /proc entry stays
        wall = time.perf_counter() - start
        own_cpu = snakemake_cpu_s(proc.pid)
        returncode = proc.wait()
        log.seek(0)
        stderr = log.read()
    if returncode != 0:
        sys.exit(f"bench/cohort.py: {label} {executor} run on {dicom} failed:\n{stderr[-3000:]}")
    jobs = len(re.findall(r"^\s*(?:local)?(?:rule (?!all:)|checkpoint )\w+:$", stderr, re.M))
    slurm_jobs = len(re.findall(r"submitted with SLURM jobid", stderr))
    return {"wall": wall, "own_cpu": own_cpu, "jobs": jobs, "slurm_jobs": slurm_jobs,
            "cohort": (results / "cohort.csv").read_text()}


def snakemake_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the snakemake process itself, without its jobs: its scheduling and DAG
    evaluations, the part of the cost that grows with the cohort when each case updates the DAG."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cluster_answers() -> bool:
    res = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return res.returncode == 0 and any(s in res.stdout for s in ("idle", "mixed", "allocated"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[5, 20], help="cohort sizes (patients)")
    parser.add_argument("--timepoints", type=int, default=3, help="CT scans per patient")
    parser.add_argument("--executors", nargs="+", choices=EXECUTORS, default=list(EXECUTORS))
    parser.add_argument("--cores", type=int, default=2, help="cores of the local runs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--matrix", type=int, help="in-plane pixels of the phantom CTs (default: the demo's 192)")
    parser.add_argument("--pixel-mm", type=float, help="their pixel spacing, mm (default: the demo's 1.8)")
    parser.add_argument("--baseline", type=Path, help="another lungtrack tree to run each cohort with, side by side")
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it, instead of a temporary one")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="lungtrack-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = "slurm" in args.executors and not cluster_answers()
    if started:
        subprocess.run(["bash", str(REPO / ".ci/slurm/start.sh")], check=True)
    try:
        sizes = sorted(set(args.patients))
        phantom_args = [*(["--matrix", str(args.matrix)] if args.matrix else []),
                        *(["--pixel-mm", str(args.pixel_mm)] if args.pixel_mm else [])]
        dicom_trees = make_cohorts(work, sizes, args.timepoints, args.seed, phantom_args)
        trees = [("now", REPO)] + ([("base", args.baseline.resolve())] if args.baseline else [])
        rows = []
        for n in sizes:
            for executor in args.executors:
                for label, tree in reversed(trees):  # the baseline first
                    rows.append({"tree": label, "executor": executor, "patients": n, "cases": n * args.timepoints,
                                 **run_workflow(work, executor, dicom_trees[n], args.cores, tree, label)})
                    print(f"  done: {label}, {executor}, {n} patients, {rows[-1]['wall']:.1f} s", file=sys.stderr)
    finally:
        if started:
            subprocess.run(["bash", str(REPO / ".ci/slurm/stop.sh")], check=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(rows)
    return 0


def print_table(rows: list[dict]) -> None:
    """Every run, its cost per case against its tree's smallest local cohort, and the growth of each tree."""
    base, base_cpu = {}, {}  # tree -> s per case (wall, snakemake's own CPU) of its first (smallest, local) run
    for r in rows:
        base.setdefault(r["tree"], r["wall"] / r["cases"])
        base_cpu.setdefault(r["tree"], r["own_cpu"] / r["cases"])
    local_wall = {(r["tree"], r["patients"]): r["wall"] for r in rows if r["executor"] == "local"}
    print(f"{'tree':4} {'executor':8} {'patients':>8} {'cases':>5} {'jobs':>5} {'slurm_jobs':>10} {'wall_s':>8} "
          f"{'s/case':>7} {'vs_base':>7} {'smk_cpu_s/case':>14} {'vs_base':>7} {'overhead_s/slurm_job':>20}")
    for r in rows:
        per_case = r["wall"] / r["cases"]
        overhead = ""
        if r["slurm_jobs"] and (r["tree"], r["patients"]) in local_wall:
            overhead = f"{(r['wall'] - local_wall[r['tree'], r['patients']]) / r['slurm_jobs']:.1f}"
        print(f"{r['tree']:4} {r['executor']:8} {r['patients']:>8} {r['cases']:>5} {r['jobs']:>5} "
              f"{r['slurm_jobs']:>10} {r['wall']:>8.1f} {per_case:>7.2f} {per_case / base[r['tree']]:>7.2f} "
              f"{r['own_cpu'] / r['cases']:>14.2f} {r['own_cpu'] / r['cases'] / base_cpu[r['tree']]:>7.2f} "
              f"{overhead:>20}")
    for tree, per_case in base.items():
        local = [r for r in rows if r["tree"] == tree and r["executor"] == "local"]
        growth = (local[-1]["wall"] / local[-1]["cases"]) / per_case
        cpu_growth = (local[-1]["own_cpu"] / local[-1]["cases"]) / base_cpu[tree]
        print(f"{tree}: {per_case:.2f} s per case at {local[0]['patients']} patients, "
              f"{local[-1]['wall'] / local[-1]['cases']:.2f} s at {local[-1]['patients']}: ratio {growth:.2f} "
              f"(target <= 1.10: {'met' if growth <= 1.10 else 'NOT met'}); snakemake's own CPU per case "
              f"{base_cpu[tree]:.2f} s, {local[-1]['own_cpu'] / local[-1]['cases']:.2f} s: ratio {cpu_growth:.2f}")
    if len(base) == 2:
        same = all(a["cohort"] == b["cohort"] for a, b in zip(rows[::2], rows[1::2]))
        print(f"cohort.csv of both trees equal for every run: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
