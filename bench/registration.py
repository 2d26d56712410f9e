"""Registration error against known synthetic deformations of real CTs, per case and method, with times.

Cases: the built-in phantom (1.8 mm), the elastix right-lung crop (its own lung mask) and the
pyradiomics lung2 whole chest (lungs from the threshold segmenter), each deformed by
``bench/synthetic_deformation.py`` (breath-hold scale 1.05, rotation, shift, four 10 mm
displacement bumps, 20 HU noise, one new GGO lesion in the follow-up) and registered back; the
real elastix pair (baseline -> follow-up, no known field: lung Dice and Jacobian only); and lung2
resampled to 512 x 512 x 300 for the time at full size. Prints per case and method: error over
the lung against the known field (mean, p95, max, mm), lung Dice after registration, Jacobian
determinant range, time (s), time as a ratio of the affine fit of the same case, and CPU time (s,
all threads; on a shared machine, wall-clock time also counts the other users). Method
``intensity-before`` is ``intensity`` with the settings it had before it was made faster (outline
metric on 30 % of the grid however large, 30 + 30 demons iterations, demons over the whole grid
rather than the lung box): the before/after ratio of the same case in the same process.

Run from the repository root: .venv/bin/python -m bench.registration [--methods none affine intensity]
[--cases elastix lung2]
"""

import argparse
import time
from unittest import mock
from pathlib import Path

import SimpleITK as sitk

from bench.synthetic_deformation import DeformedCase, deform_case, registration_error
from lungtrack.phantom import make_case
from lungtrack.segment.backends import segment_lungs
from lungtrack.track import ct_registration, registration
from lungtrack.track.ct_registration import METHODS, Registration, register_scans
from lungtrack.track.registration import identity, lung_dice

REALCT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "realct"
ELASTIX = REALCT / "elastix-right-lung-pair"
LUNG2 = REALCT / "pyradiomics-lung2" / "ct.nii.gz"
CASES = ("phantom", "elastix", "lung2", "elastix-real", "lung2-512x512x300")
BEFORE = "intensity-before"


def _no_lesions(lungs: sitk.Image) -> sitk.Image:
    return sitk.Cast(lungs * 0, sitk.sitkUInt8)


def _lung2() -> tuple[sitk.Image, sitk.Image]:
    ct = sitk.ReadImage(str(LUNG2))
    return ct, segment_lungs(ct)


def _cases(names):
    """(name, DeformedCase or real (baseline, follow-up) scans) for each case asked for and available."""
    lung2 = None
    for name in names:
        if name == "phantom":
            case = make_case(3, table=False, lesions=False, pose_jitter=False, breath_scale=1.0)
            yield name, deform_case(case.image(), case.image(case.lungs), seed=1, amplitude_mm=10.0)
            continue
        if not REALCT.is_dir():
            print(f"{name}: skipped, {REALCT} is absent")
            continue
        if name == "elastix":
            ct, lungs = (sitk.ReadImage(str(ELASTIX / "baseline" / f)) for f in ("ct.nii.gz", "lungs.nii.gz"))
            yield name, deform_case(ct, lungs, seed=1, amplitude_mm=10.0)
        elif name == "elastix-real":
            scans = []
            for folder in ("baseline", "followup"):
                ct, lungs = (sitk.ReadImage(str(ELASTIX / folder / f)) for f in ("ct.nii.gz", "lungs.nii.gz"))
                scans.append((ct, lungs, _no_lesions(lungs)))
            yield name, tuple(scans)
        elif name == "lung2":
            lung2 = lung2 or _lung2()
            yield name, deform_case(*lung2, seed=1, amplitude_mm=10.0)
        elif name == "lung2-512x512x300":
            lung2 = lung2 or _lung2()
            ct, lungs = lung2
            size = (512, 512, 300)
            spacing = (ct.GetSpacing()[0], ct.GetSpacing()[1], ct.GetSpacing()[2] * ct.GetSize()[2] / size[2])
            grid = sitk.Image(size, sitk.sitkInt16)
            grid.SetOrigin(ct.GetOrigin())
            grid.SetSpacing(spacing)
            grid.SetDirection(ct.GetDirection())
            big_ct = sitk.Resample(ct, grid, sitk.Transform(), sitk.sitkLinear, -1024)
            big_lungs = sitk.Resample(lungs, grid, sitk.Transform(), sitk.sitkNearestNeighbor, 0)
            yield name, deform_case(big_ct, big_lungs, seed=1, amplitude_mm=10.0)


def _fit(scans, method: str) -> tuple[Registration, float, float]:
    """The fit, its wall-clock time and its CPU time (s, all threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    if method == "none":
        quality = {"metric": None, "jacobian_min": 1.0, "jacobian_max": 1.0, "refused": ""}
        return Registration(identity(), "none", "none", quality), 0.0, 0.0
    if method == BEFORE:
        with (mock.patch.object(registration, "METRIC_SAMPLES", float("inf")),
              mock.patch.object(ct_registration, "ITERATIONS", (30, 30)),
              mock.patch.object(ct_registration, "CROP_MARGIN_VOXELS", 10**6)):
            fit = register_scans(*scans, "intensity")
        return fit, time.perf_counter() - start, time.process_time() - cpu
    fit = register_scans(*scans, method)
    return fit, time.perf_counter() - start, time.process_time() - cpu


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=["none", "rigid", "affine", "bspline", "intensity"],
                        choices=("none", *METHODS, BEFORE))
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    args = parser.parse_args(argv)
    methods = ["affine"] + [m for m in args.methods if m != "affine"]  # affine first: the time baseline
    print(f"{'case':<18} {'method':<16} {'used':<10} {'mean':>6} {'p95':>6} {'max':>6} {'Dice':>6} "
          f"{'J min':>6} {'J max':>6} {'time s':>7} {'x affine':>8} {'CPU s':>7}")
    for name, case in _cases(args.cases):
        synthetic = isinstance(case, DeformedCase)
        if synthetic:
            scans = ((case.baseline_ct, case.baseline_lungs, case.baseline_lesions),
                     (case.follow_up_ct, case.follow_up_lungs, case.follow_up_lesions))
        else:
            scans = case
        affine_s, times = None, {}
        for method in methods:
            fit, seconds, cpu = _fit(scans, method)
            times[method] = seconds, cpu
            affine_s = seconds if method == "affine" else affine_s
            if method not in args.methods:
                continue
            error = registration_error(case, fit.transform) if synthetic else {}
            dice = lung_dice(scans[0][1], scans[1][1], fit.transform)
            jac = (fit.quality["jacobian_min"], fit.quality["jacobian_max"])
            cells = [f"{error[k]:6.2f}" if error else f"{'-':>6}" for k in ("mean_mm", "p95_mm", "max_mm")]
            print(f"{name:<18} {method:<16} {fit.used:<10} {' '.join(cells)} {dice:6.3f} {jac[0]:6.2f} "
                  f"{jac[1]:6.2f} {seconds:7.1f} {seconds / affine_s:8.2f} {cpu:7.1f}", flush=True)
        if {"intensity", BEFORE} <= times.keys():
            (after_s, after_cpu), (before_s, before_cpu) = times["intensity"], times[BEFORE]
            print(f"{name:<18} intensity / {BEFORE}: time x{after_s / before_s:.2f}, CPU x{after_cpu / before_cpu:.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
