"""Time of the per-case evaluation metrics on a 512×512×300 case pair, against a plain NumPy Dice.

Synthetic lungs (two ellipsoids, ~13.5 million voxels) and lesions (GGO and consolidation blobs)
at 0.7 × 0.7 × 1.0 mm; the prediction is the reference shifted, grown and shrunk a little. Prints
the time per case of ``compare_masks`` (Dice, IoU, NSD at 1 and 2 mm, HD95, volumes and POI for
lung, lesion, GGO and consolidation) as a ratio of the NumPy Dice of the lung pair, and the
surface-distance step done three ways: k-d tree (used), scipy EDT on the bounding box with
sampling = spacing, and SimpleITK's SignedMaurerDistanceMap.

Run: .venv/bin/python bench/evaluate.py [--repeat 3]
"""

import argparse
import time

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from lungtrack.evaluate.cases import compare_masks
from lungtrack.evaluate.surface import _bounding_box, boundary, surface_distances
from lungtrack.measure.comparison import label_masks

SPACING = (0.7, 0.7, 1.0)  # x, y, z mm
SHAPE = (300, 512, 512)  # z, y, x


def case_pair():
    """(pred lungs, pred lesions, ref lungs, ref lesions) uint8 label arrays (z, y, x)."""
    z, y, x = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]

    def ellipsoid(c, r):
        return ((z - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((x - c[2]) / r[2]) ** 2 <= 1

    ref_lungs = (ellipsoid((150, 250, 160), (120, 150, 90)) * 1 + ellipsoid((150, 250, 350), (120, 150, 90)) * 2)
    pred_lungs = (ellipsoid((152, 252, 161), (119, 148, 92)) * 1 + ellipsoid((150, 250, 352), (121, 150, 88)) * 2)
    ref_lesions = np.zeros(SHAPE, np.uint8)
    ref_lesions[ellipsoid((120, 300, 150), (40, 50, 40))] = 1
    ref_lesions[ellipsoid((180, 320, 360), (25, 30, 30))] = 2
    pred_lesions = np.zeros(SHAPE, np.uint8)
    pred_lesions[ellipsoid((121, 302, 151), (42, 48, 41))] = 1
    pred_lesions[ellipsoid((180, 318, 362), (23, 31, 30))] = 2
    return pred_lungs.astype(np.uint8), pred_lesions, ref_lungs.astype(np.uint8), ref_lesions


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def edt_distances(a, b):
    """Directed boundary distances through scipy's EDT on the bounding box (the alternative)."""
    box = _bounding_box(a | b)
    sa, sb = boundary(a[box]), boundary(b[box])
    sampling = SPACING[::-1]
    return (ndimage.distance_transform_edt(~sb, sampling=sampling)[sa],
            ndimage.distance_transform_edt(~sa, sampling=sampling)[sb])


def maurer_distances(a, b):
    """Directed boundary distances through SimpleITK's SignedMaurerDistanceMap on the bounding box."""
    box = _bounding_box(a | b)
    sa, sb = boundary(a[box]), boundary(b[box])

    def distance_map(surface):
        image = sitk.GetImageFromArray(surface.astype(np.uint8))
        image.SetSpacing(SPACING)
        dist = sitk.SignedMaurerDistanceMap(image, insideIsPositive=False, squaredDistance=False, useImageSpacing=True)
        return np.abs(sitk.GetArrayViewFromImage(dist))

    return distance_map(sb)[sa], distance_map(sa)[sb]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pred_lungs, pred_lesions, ref_lungs, ref_lesions = case_pair()
    a, b = pred_lungs > 0, ref_lungs > 0
    print(f"case pair {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]} voxels, spacing {SPACING} mm, "
          f"lung {b.sum() / 1e6:.1f} M voxels, lesion {(ref_lesions > 0).sum() / 1e6:.2f} M voxels")

    t_dice, _ = best_of(args.repeat, lambda: 2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b)))
    print(f"{'baseline: NumPy Dice of the lung pair':<58}{t_dice:7.3f} s")

    def whole_case():
        return compare_masks(label_masks(pred_lungs, pred_lesions), label_masks(ref_lungs, ref_lesions), SPACING)

    t_case, rows = best_of(args.repeat, whole_case)
    print(f"{'all metrics, 4 labels (compare_masks)':<58}{t_case:7.3f} s = {t_case / t_dice:6.1f} x baseline")
    for row in rows:
        print(f"  {row['label']:<14} Dice {row['dice']:.4f}  NSD1 {row['nsd_1mm']:.4f}  HD95 {row['hd95_mm']:.2f} mm")

    t_tree, tree = best_of(args.repeat, lambda: surface_distances(a, b, SPACING))
    print(f"{'lung surface distances, k-d tree (used)':<58}{t_tree:7.3f} s = {t_tree / t_dice:6.1f} x baseline")
    alternatives = {"scipy EDT, sampling=spacing": edt_distances, "SimpleITK SignedMaurerDistanceMap": maurer_distances}
    for name, fn in alternatives.items():
        t_alt, (ab, ba) = best_of(1, lambda fn=fn: fn(a, b))
        same = np.allclose(ab, tree.a_to_b, atol=1e-3) and np.allclose(ba, tree.b_to_a, atol=1e-3)
        print(f"{'lung surface distances, ' + name:<58}{t_alt:7.3f} s = {t_alt / t_dice:6.1f} x baseline"
              f"  (same distances: {same})")


if __name__ == "__main__":
    main()
