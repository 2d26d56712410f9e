"""The memory a rule asks for follows the size of its CT (lungtrack.workflow_resources)."""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.workflow_resources import (BASE_MB, MB_PER_MEGAVOXEL, image_megavoxels, image_mem_mb, mem_mb,
                                         patient_mem_mb, series_mem_mb)


def _write(path, shape):
    image = sitk.GetImageFromArray(np.zeros(shape, dtype=np.int16))
    sitk.WriteImage(image, str(path), useCompression=True)
    return path


def test_voxel_count_from_the_header(tmp_path):
    assert image_megavoxels(_write(tmp_path / "ct.nii.gz", (30, 40, 50))) == pytest.approx(0.06)


def test_an_image_not_written_yet_names_itself(tmp_path):
    """Snakemake evaluates the resources again when the error is a FileNotFoundError of an input."""
    missing = tmp_path / "later.nii.gz"
    with pytest.raises(FileNotFoundError) as caught:
        image_megavoxels(missing)
    assert caught.value.filename == str(missing)


@pytest.mark.parametrize("step", sorted(MB_PER_MEGAVOXEL))
def test_memory_grows_with_the_voxels_and_covers_the_measured_peak(step):
    small, real, long = mem_mb(step, 512 * 512 * 100 / 1e6), mem_mb(step, 512 * 512 * 300 / 1e6), \
        mem_mb(step, 512 * 512 * 700 / 1e6)
    assert small < real < long
    assert small < 4000  # a 100-slice CT does not hold 4 GB
    assert long >= BASE_MB + MB_PER_MEGAVOXEL[step] * 512 * 512 * 700 / 1e6  # never below the estimate
    assert mem_mb(step, 1.0) % 100 == 0


def test_series_and_image_estimates_agree_for_the_same_voxels(tmp_path):
    path = _write(tmp_path / "ct.nii.gz", (4, 512, 512))
    assert series_mem_mb("convert", 4) == image_mem_mb("convert", path)


def test_a_series_without_a_slice_count_gets_the_long_ct_estimate():
    assert series_mem_mb("segment_lesions", "") == series_mem_mb("segment_lesions", 700)
    assert series_mem_mb("segment_lesions", "<NA>") > series_mem_mb("segment_lesions", 300)


def test_a_patients_tracking_is_sized_by_its_two_largest_cts(tmp_path):
    small, large, larger = (_write(tmp_path / f"{name}.nii.gz", shape) for name, shape in
                            (("small", (2, 64, 64)), ("large", (20, 256, 256)), ("larger", (30, 256, 256))))
    two = patient_mem_mb("track", [small, large, larger])
    assert two == mem_mb("track", image_megavoxels(large) + image_megavoxels(larger))
    assert two == patient_mem_mb("track", [larger, large])  # a third, smaller scan adds nothing
    assert patient_mem_mb("track", [small]) < two
