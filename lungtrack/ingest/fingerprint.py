"""Fingerprint of a folder tree: changes when a file is added, removed, resized or modified."""

import hashlib
import os
from pathlib import Path


def tree_fingerprint(folder) -> str:
    """SHA-1 (hex) over the relative path, size (bytes) and modification time (ns) of every file below ``folder``.

    Reads no file contents (one stat per file), so that a workflow can tell a changed tree from an
    unchanged one on every start. A missing folder has the fingerprint of an empty one.
    """
    digest = hashlib.sha1()
    folder = Path(folder)
    stack = [folder]
    entries = []
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=True):
                        st = entry.stat()
                        entries.append(f"{os.path.relpath(entry.path, folder)}\t{st.st_size}\t{st.st_mtime_ns}")
        except FileNotFoundError:
            continue
    for line in sorted(entries):
        digest.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()
