"""Gantry tilt correction: resample sheared slices onto a grid orthogonal to the slice plane.

With gantry tilt the slices of a stack are shifted in plane relative to one another (the stacking
direction is not the slice normal). As dcm2niix does, each slice is resampled (linear interpolation,
SimpleITK ResampleImageFilter) onto one in-plane grid that keeps the first slice's pixel lattice and is
extended by whole pixels so that no slice is cut; voxels outside every slice get ``fill`` (HU).
Arrays are (z, y, x); offsets are (along row_dir = x, along col_dir = y) in mm.
"""

import math

import numpy as np
import SimpleITK as sitk


def extension(offsets: np.ndarray, spacing: float) -> tuple[int, int]:
    """Whole pixels to add (before, after) along one in-plane axis so every shifted slice fits."""
    before = math.ceil(max(0.0, -offsets.min()) / spacing - 1e-3)
    after = math.ceil(max(0.0, offsets.max()) / spacing - 1e-3)
    return before, after


def deshear(volume: np.ndarray, offsets: np.ndarray, spacing_xy, fill: float):
    """Resample every slice of ``volume`` (z, y, x) onto a common in-plane grid.

    ``offsets`` (z, 2) are the in-plane shifts of each slice in mm relative to the first slice.
    Returns ``(array, start_xy)``: the new (z, y', x') float32 array and the in-plane position (mm)
    of its first pixel relative to the first slice's first pixel.
    """
    dx, dy = spacing_xy
    bx, ax = extension(offsets[:, 0], dx)
    by, ay = extension(offsets[:, 1], dy)
    size = (volume.shape[2] + bx + ax, volume.shape[1] + by + ay)
    start = (-bx * dx, -by * dy)
    resampler = sitk.ResampleImageFilter()
    resampler.SetSize(size)
    resampler.SetOutputSpacing((dx, dy))
    resampler.SetOutputOrigin(start)
    resampler.SetInterpolator(sitk.sitkLinear)
    resampler.SetDefaultPixelValue(float(fill))
    resampler.SetOutputPixelType(sitk.sitkFloat32)
    out = np.empty((volume.shape[0], size[1], size[0]), dtype=np.float32)
    for k, plane in enumerate(volume):
        image = sitk.GetImageFromArray(plane)
        image.SetSpacing((dx, dy))
        image.SetOrigin(tuple(float(v) for v in offsets[k]))
        out[k] = sitk.GetArrayFromImage(resampler.Execute(image))
    return out, start
