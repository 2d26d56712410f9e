"""The image files of each scan, given next to its metrics JSON: the CT (HU) and its lung and lesion label maps.

Steps that read a scan's voxels after ``lungtrack measure`` (track, report, evaluate, export) take
these files from their command line, one set per metrics file in the same order; the ``paths`` inside
a metrics JSON are provenance only, so that a moved results folder still works.
"""

from dataclasses import dataclass
from pathlib import Path

from lungtrack.errors import InputError


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
