"""Ingest speed: conversion against dcm2niix in the same run, and header-only inventory.

    .venv/bin/python bench/ingest.py [--slices 300] [--files 10000] [--workdir DIR]

1. Writes a 512x512xN CT series (pydicom, lungtrack.phantom.dicom_writer) and converts it to .nii.gz with
   `lungtrack convert` and with `dcm2niix -z y`; prints slices/s of both and the ratio (target:
   lungtrack at most 2x slower than dcm2niix).
2. Writes a tree of small DICOM files (64x64, 100 per series) and runs the inventory on it; prints
   files/s (headers only).
Both tools run as subprocesses, so each time includes the start of its process.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lungtrack.phantom.dicom_writer import axial_positions, write_series

BIN = Path(sys.executable).parent


def timed(command) -> float:
    """Wall-clock seconds of one subprocess run (raises on failure)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def chest_like(n_slices: int) -> np.ndarray:
    """(z, 512, 512) HU: air outside, a soft-tissue body with two lungs, noise of 20 HU."""
    y, x = np.mgrid[-256:256, -256:256]
    body = (x / 220.0) ** 2 + (y / 160.0) ** 2 < 1
    lungs = ((np.abs(x) - 95) / 70.0) ** 2 + (y / 110.0) ** 2 < 1
    plane = np.where(body, np.where(lungs, -850, 40), -1000).astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 20, (n_slices, 512, 512)).astype(np.float32)
    return np.rint(plane + noise).astype(np.int16)


def bench_convert(workdir: Path, n_slices: int, repeats: int = 2) -> None:
    volume = chest_like(n_slices)
    series = workdir / "series"
    write_series(series, volume, axial_positions(n_slices, 1.0, origin=(-250.0, -250.0, -300.0)),
                 pixel_spacing=(0.7, 0.7))
    dcm2niix = shutil.which("dcm2niix") or str(BIN / "dcm2niix")
    ours, theirs = [], []
    for run in range(repeats):
        out = workdir / f"run{run}"
        out.mkdir()
        theirs.append(timed([dcm2niix, "-z", "y", "-b", "n", "-f", "ref", "-o", str(out), str(series)]))
        ours.append(timed([str(BIN / "lungtrack"), "convert", str(series), str(out / "ours.nii.gz")]))
    ours_rate, theirs_rate = n_slices / min(ours), n_slices / min(theirs)
    print(f"convert 512x512x{n_slices} -> .nii.gz (best of {repeats}): lungtrack {ours_rate:.0f} slices/s, "
          f"dcm2niix {theirs_rate:.0f} slices/s, lungtrack/dcm2niix time ratio {min(ours) / min(theirs):.2f} "
          f"(target <= 2)")


def bench_inventory(workdir: Path, n_files: int) -> None:
    tree = workdir / "tree"
    per_series = 100
    volume = np.full((per_series, 64, 64), -800, np.int16)
    for s in range(n_files // per_series):
        write_series(tree / f"P{s % 50:03d}" / f"st{s}", volume, axial_positions(per_series, 1.0),
                     header={"PatientID": f"P{s % 50:03d}", "StudyDate": f"2020{1 + s % 12:02d}15"}, seed=s)
    n = sum(1 for p in tree.rglob("*") if p.is_file())
    seconds = timed([str(BIN / "lungtrack"), "inventory", str(tree), str(workdir / "inventory.tsv")])
    print(f"inventory of {n} files: {n / seconds:.0f} files/s ({seconds:.1f} s, headers only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--workdir", help="scratch folder (default: a temporary one, removed after)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        bench_convert(Path(tmp), args.slices)
        bench_inventory(Path(tmp), args.files)


if __name__ == "__main__":
    main()
