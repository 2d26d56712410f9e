"""Tracking and the lung step keep freed volumes in malloc's heap (lungtrack.cli.heap), on glibc."""

import ctypes
import os
import subprocess
import sys

import pytest

import lungtrack.cli as cli

# Allocates and frees a 100 MB array, then prints malloc's free heap bytes (mallinfo2's fordblks) and
# whether the block came from a mapping of its own (hblkhd, the bytes in mmapped blocks, while it lived).
_PROBE = """
import ctypes, sys
import numpy as np

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
if sys.argv[1] == "keep":
    from lungtrack.cli.heap import keep_freed_memory
    assert keep_freed_memory()
block = np.ones(100 * 2**20, dtype=np.uint8)
mapped = libc.mallinfo2().hblkhd
del block
print(mapped, libc.mallinfo2().fordblks)
"""


def _probe(mode: str) -> tuple[int, int]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, env=env, check=True)
    mapped, free = out.stdout.split()
    return int(mapped), int(free)


def _glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not _glibc(), reason="glibc's malloc (mallinfo2) only: elsewhere the setting changes nothing")
def test_a_freed_volume_stays_in_the_heap_for_the_next_array():
    mapped, free = _probe("default")
    assert mapped >= 100 * 2**20 and free < 100 * 2**20  # glibc's default: its own mapping, given back
    mapped, free = _probe("keep")
    assert mapped < 100 * 2**20 and free >= 100 * 2**20  # from the heap, and kept there once freed


def test_tracking_sets_it_before_its_work(monkeypatch, tmp_path, capsys):
    import lungtrack.cli.track as track

    calls = []
    monkeypatch.setattr(track, "keep_freed_memory", lambda: calls.append("set"))
    missing = [str(tmp_path / name) for name in ("a.nii.gz", "b.nii.gz")]
    code = cli.main(["track", "--patient-id", "P", "--out-dir", str(tmp_path / "out"), str(tmp_path / "a.json"),
                     str(tmp_path / "b.json"), "--images", *missing, "--lungs", *missing, "--lesions", *missing])
    assert code == 2 and "a.json: not a readable metrics file" in capsys.readouterr().err  # its first read, after
    assert calls == ["set"]


def test_the_lung_step_sets_it_before_its_work(monkeypatch, tmp_path, capsys):
    import lungtrack.cli.segment_lungs as segment_lungs

    calls = []
    monkeypatch.setattr(segment_lungs, "keep_freed_memory", lambda: calls.append("set"))
    code = cli.main(["segment-lungs", str(tmp_path / "ct.nii.gz"), str(tmp_path / "lungs.nii.gz")])
    assert code == 2 and "ct.nii.gz: file does not exist" in capsys.readouterr().err  # its first read
    assert calls == ["set"]
