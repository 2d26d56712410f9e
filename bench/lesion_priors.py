"""Cost of the lesion segmenter's specificity steps (mediastinal prior, Hessian tubes) on a large CT.

Makes one phantom chest CT (default 512 x 512 pixels of 0.7 mm, 1 mm slices: about 300 slices),
segments its lesions inside the phantom's true lungs with the ``threshold`` backend, once without
the two steps (``mediastinal_prior=False, tube_threshold=None``: the baseline) and once with the
defaults, and prints both times, their ratio and the change of the lesion volume (mL).

    python bench/lesion_priors.py
    python bench/lesion_priors.py --matrix 256 --pixel-mm 1.4 --slice-mm 2.5
"""

import argparse
import sys
import time

import numpy as np
import SimpleITK as sitk

from lungtrack.phantom import make_case
from lungtrack.segment import segment_lesions


def _timed(image, lungs, **opts):
    start = time.perf_counter()
    labels = sitk.GetArrayFromImage(segment_lesions(image, lungs, backend="threshold", **opts))
    return time.perf_counter() - start, labels


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--pixel-mm", type=float, default=0.7)
    parser.add_argument("--slice-mm", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    case = make_case(args.seed, timepoint=1, matrix=args.matrix, pixel_mm=args.pixel_mm, slice_mm=args.slice_mm)
    image = case.image()
    lungs = case.image(case.lungs)
    ml = case.voxel_ml
    print(f"CT {image.GetSize()} voxels of {np.round(image.GetSpacing(), 2)} mm, "
          f"true lesions {(case.lesions > 0).sum() * ml:.1f} mL")
    runs = {"without the priors (baseline)": {"mediastinal_prior": False, "tube_threshold": None}, "with the priors": {}}
    seconds = {}
    for label, opts in runs.items():
        seconds[label], labels = _timed(image, lungs, **opts)
        print(f"lesions {label:30} {seconds[label]:6.1f} s, {(labels > 0).sum() * ml:7.1f} mL")
    first, second = seconds.values()
    print(f"ratio with / without: {second / first:.2f}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
