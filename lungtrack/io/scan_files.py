"""The image files of each scan, given next to its metrics JSON: the CT (HU) and its lung and lesion label maps.

Steps that read a scan's voxels after ``lungtrack measure`` (track, report, evaluate, export) take
these files from their command line, one set per metrics file in the same order; the ``paths`` inside
a metrics JSON are provenance only, so that a moved results folder still works.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.io.images import read_mask, voxel_volume_ml


@dataclass(frozen=True)
class ScanFiles:
    """The files of one scan: ``image`` the CT in HU, ``lungs`` and ``lesions`` label maps on its grid."""

    image: Path
    lungs: Path
    lesions: Path


def pair_scan_files(metrics_paths, images, lungs, lesions) -> list[ScanFiles]:
    """One :class:`ScanFiles` per metrics file: the i-th image, lung and lesion file belong to the i-th metrics file.

    A list of another length raises :class:`InputError` naming the first file without a partner.
    """
    metrics_paths = list(metrics_paths)
    given = {"CT images": list(images), "lung masks": list(lungs), "lesion masks": list(lesions)}
    for name, files in given.items():
        if len(files) != len(metrics_paths):
            unpaired = metrics_paths[len(files)] if len(files) < len(metrics_paths) else files[len(metrics_paths)]
            raise InputError(unpaired, f"{len(files)} {name} given for {len(metrics_paths)} metrics files; "
                                       "give one per metrics file, in the same order")
    return [ScanFiles(Path(i), Path(lu), Path(le)) for i, lu, le in zip(*given.values(), strict=True)]


def read_measured_masks(record: dict, source, grid: sitk.Image, grid_path, lungs_path, lesions_path,
                        grid_name: str = "its CT image") -> tuple[sitk.Image, sitk.Image]:
    """(lung, lesion) label maps of the scan that the metrics ``record`` (from the file ``source``) measured.

    ``grid``: the scan's grid (its CT, or an empty image of its grid), read from ``grid_path`` (in errors
    ``grid_name``). The files must be those the record measured, else :class:`InputError` names the
    file: the grid has the size (x, y, z voxels) of the record's acquisition facts (when they give one),
    the masks lie on it and hold the record's lung and lesion volumes (mL; lesions counted within the lung).
    """
    expected = (record.get("acquisition") or {}).get("size")
    if expected and list(grid.GetSize()) != list(expected):
        raise InputError(grid_path, f"{'x'.join(map(str, grid.GetSize()))} voxels, but metrics file {source} "
                                    f"measured a scan of {'x'.join(map(str, expected))}: not a file of that scan")
    lungs, lesions = (read_mask(path, grid, f"{what} mask", grid_name) for path, what in
                      ((lungs_path, "lung"), (lesions_path, "lesion")))
    in_lung = sitk.GetArrayViewFromImage(lungs) > 0
    found = {"lung_ml": (lungs_path, "lung", in_lung),
             "lesion_ml": (lesions_path, "lesion", in_lung & (sitk.GetArrayViewFromImage(lesions) > 0))}
    for key, (path, what, voxels) in found.items():
        volume_ml = np.count_nonzero(voxels) * voxel_volume_ml(grid)
        if not math.isclose(volume_ml, record[key], rel_tol=1e-6, abs_tol=1e-6):
            raise InputError(path, f"holds {volume_ml:.2f} mL of {what}, but metrics file {source} measured "
                                   f"{record[key]:.2f} mL: not the {what} mask of that scan")
    return lungs, lesions
