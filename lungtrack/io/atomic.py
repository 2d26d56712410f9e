"""Atomic writes: a result appears under its final name only once it is complete."""

import contextlib
import glob
import os
import tempfile
from pathlib import Path

#: Length of the random part of tempfile.mkstemp's names.
_RANDOM_CHARS = 8


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The temporary name (``.<stem>.<8 random characters><suffix>``) keeps the full suffix
    (``.nii.gz``) so that writers that pick a format from the name still work. On error the
    temporary file is removed and nothing is left under the final name; temporaries that a killed
    process left for the same path are removed by the next write of that path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes) or ".tmp"
    prefix = f".{path.name.split('.')[0]}."
    for stale in path.parent.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
        if len(stale.name) == len(prefix) + _RANDOM_CHARS + len(suffix):
            stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results get the usual permissions
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
