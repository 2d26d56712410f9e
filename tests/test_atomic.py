"""Atomic writes leave either the complete result or nothing."""

import os

import pytest

from lungtrack.io.atomic import atomic_path, write_text


def test_result_appears_complete_with_usual_permissions(tmp_path):
    target = tmp_path / "sub" / "out.nii.gz"
    with atomic_path(target) as tmp:
        assert tmp.name.endswith(".nii.gz") and tmp.parent == target.parent
        tmp.write_bytes(b"data")
        assert not target.exists()
    assert target.read_bytes() == b"data"
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in target.parent.iterdir()] == ["out.nii.gz"]


def test_failure_leaves_nothing(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_write_text_replaces_old_result(tmp_path):
    target = tmp_path / "a.txt"
    write_text(target, "old")
    write_text(target, "new")
    assert target.read_text() == "new"


def test_temporary_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "case_lungs.nii.gz"
    with atomic_path(target) as tmp:
        left = tmp.with_name(tmp.name.replace(tmp.name[len(".case_lungs."):-len(".nii.gz")], "k1ll3d_x"))
        left.write_bytes(b"half")  # what SIGKILL leaves: a temporary, never renamed
    other = tmp_path / ".case_lesions.abcdefgh.nii.gz"
    other.write_bytes(b"another path's temporary")
    assert left.exists()
    write_text(tmp_path / "case_lungs.json", "{}")  # another suffix: not this path's temporaries
    assert left.exists()
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"done")
    assert not left.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".case_lesions.abcdefgh.nii.gz", "case_lungs.json",
                                                          "case_lungs.nii.gz"]
