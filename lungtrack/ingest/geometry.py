"""Slice geometry of one series from its headers: checks, sorting along the slice normal, tilt and gaps.

World coordinates are DICOM patient coordinates (LPS, mm). ``row_dir`` is the direction of increasing
column index (image x), ``col_dir`` the direction of increasing row index (image y) and
``normal = row_dir x col_dir`` the slice normal (image z). Slices are sorted by their position along the
normal, never by file name or InstanceNumber.
"""

from dataclasses import dataclass

import numpy as np

from lungtrack.ingest.headers import SliceHeader

PLANES = ("sagittal", "coronal", "axial")  # dominant axis of the slice normal: x, y, z
ORIENTATION_TOL = 1e-3  # direction cosines
POSITION_TOL_MM = 0.01  # two slices closer than this along the normal share one position
TILT_TOL_PX = 0.1  # in-plane shift of the last slice (pixels) below which a stack counts as orthogonal


class GeometryError(ValueError):
    """The headers do not describe one axial CT volume; the message is a one-line reason."""


@dataclass(frozen=True)
class SeriesGeometry:
    """Sorted slice stack of one series."""

    headers: tuple[SliceHeader, ...]  # sorted along the normal, ascending
    row_dir: np.ndarray  # (3,)
    col_dir: np.ndarray  # (3,)
    normal: np.ndarray  # (3,)
    positions: np.ndarray  # (n, 3) ImagePositionPatient of the sorted slices, mm
    spacing_xy: tuple[float, float]  # (between columns, between rows) mm
    size_xy: tuple[int, int]  # (columns, rows)

    @property
    def distances(self) -> np.ndarray:
        """Position of each slice along the normal relative to the first one (mm, ascending)."""
        return (self.positions - self.positions[0]) @ self.normal

    @property
    def in_plane_offsets(self) -> np.ndarray:
        """(n, 2) shift of each slice along (row_dir, col_dir) relative to the first one, mm."""
        rel = self.positions - self.positions[0]
        return np.stack([rel @ self.row_dir, rel @ self.col_dir], axis=1)

    @property
    def is_tilted(self) -> bool:
        """True when slices are sheared in plane (gantry tilt): the stack is not orthogonal."""
        shift_px = np.abs(self.in_plane_offsets) / np.array(self.spacing_xy)
        return bool(shift_px.max() > TILT_TOL_PX)

    @property
    def tilt_deg(self) -> float:
        """Angle between the slice stacking direction and the slice normal (degrees)."""
        step = self.positions[-1] - self.positions[0]
        cos = abs(step @ self.normal) / np.linalg.norm(step)
        return float(np.degrees(np.arccos(min(1.0, cos))))

    @property
    def gaps(self) -> np.ndarray:
        """Distances between neighbouring slices along the normal (mm)."""
        return np.diff(self.distances)

    @property
    def slice_spacing(self) -> float:
        """Median distance between neighbouring slices along the normal (mm)."""
        return float(np.median(self.gaps))

    def irregular_gaps(self) -> list[int]:
        """Indices i of the gaps (slice i to i+1) that differ from the median gap.

        Tolerance: 0.2 mm or a quarter of the median gap, whichever is smaller.
        """
        tol = min(0.2, 0.25 * self.slice_spacing)
        return [int(i) for i in np.flatnonzero(np.abs(self.gaps - self.slice_spacing) > tol)]

    def gap_message(self) -> str:
        """One line naming the irregular gaps (empty when spacing is uniform)."""
        bad = self.irregular_gaps()
        if not bad:
            return ""
        worst = max(bad, key=lambda i: abs(self.gaps[i] - self.slice_spacing))
        along = self.positions @ self.normal
        more = f" and {len(bad) - 1} more irregular gap(s)" if len(bad) > 1 else ""
        kind = "missing slice?" if self.gaps[worst] > self.slice_spacing else "overlapping slices?"
        return (f"non-uniform slice spacing: gap of {self.gaps[worst]:.2f} mm between slices at "
                f"{along[worst]:.2f} and {along[worst + 1]:.2f} mm along the slice normal where "
                f"{self.slice_spacing:.2f} mm is usual ({kind}){more}")


def plane_name(normal) -> str:
    """'axial', 'coronal' or 'sagittal' from the dominant axis of the slice normal."""
    return PLANES[int(np.argmax(np.abs(normal)))]


def _normal(orientation) -> np.ndarray:
    o = np.asarray(orientation, dtype=float)
    return np.cross(o[:3], o[3:])


def analyse(headers, modality="CT") -> SeriesGeometry:
    """Check that ``headers`` (one series) form one axial volume and sort them.

    Raises GeometryError with a one-line reason otherwise: other modality, multi-frame, missing
    geometry, mixed sizes or orientations, single slice, non-axial slices, repeated positions.
    """
    headers = list(headers)
    if not headers:
        raise GeometryError("no DICOM images")
    modalities = sorted({h.modality or "unknown" for h in headers})
    if modalities != [modality]:
        raise GeometryError(f"modality {'/'.join(modalities)}, not {modality}")
    if any(h.n_frames > 1 for h in headers):
        raise GeometryError("multi-frame (enhanced) DICOM is not supported")
    if any(h.orientation is None or h.position is None or h.pixel_spacing is None or not h.rows
           for h in headers):
        raise GeometryError("no image geometry (ImageOrientationPatient, ImagePositionPatient "
                            "or PixelSpacing missing)")
    sizes = sorted({(h.columns, h.rows) for h in headers})
    if len(sizes) > 1:
        raise GeometryError("mixed image sizes " + ", ".join(f"{c}x{r}" for c, r in sizes))
    orientations = np.array([h.orientation for h in headers])
    if np.abs(orientations - orientations[0]).max() > ORIENTATION_TOL:
        planes = sorted({plane_name(_normal(o)) for o in orientations})
        raise GeometryError(f"mixed slice orientations ({', '.join(planes)}) in one series")
    spacings = np.array([h.pixel_spacing for h in headers])
    if np.abs(spacings - spacings[0]).max() > 1e-4:
        raise GeometryError("mixed pixel spacings in one series")
    row_dir, col_dir = orientations[0][:3], orientations[0][3:]
    normal = _normal(orientations[0])
    plane = plane_name(normal)
    if len(headers) == 1:
        raise GeometryError(f"single {plane} slice: not a volume")
    if plane != "axial":
        raise GeometryError(f"{plane} slices: only axial series are converted")
    positions = np.array([h.position for h in headers])
    along = positions @ normal
    order = np.argsort(along, kind="stable")
    n_positions = int(1 + np.sum(np.diff(along[order]) > POSITION_TOL_MM))
    if n_positions < len(headers):
        raise GeometryError(f"{len(headers)} images at {n_positions} slice position(s): several "
                            "acquisitions or phases in one series")
    ps = headers[0].pixel_spacing
    return SeriesGeometry(
        headers=tuple(headers[i] for i in order),
        row_dir=row_dir / np.linalg.norm(row_dir),
        col_dir=col_dir / np.linalg.norm(col_dir),
        normal=normal / np.linalg.norm(normal),
        positions=positions[order],
        spacing_xy=(float(ps[1]), float(ps[0])),
        size_xy=(int(headers[0].columns), int(headers[0].rows)),
    )
