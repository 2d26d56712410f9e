"""Fingerprint of a folder tree: changes when a file is added, removed, resized or modified."""

import hashlib
import os
from pathlib import Path


def tree_fingerprint(folder) -> str:
    """SHA-1 (hex) over the relative path, size (bytes) and modification time (ns) of every file below ``folder``.

    Reads no file contents (one stat per file), so that a workflow can tell a changed tree from an
    unchanged one on every start. A missing folder has the fingerprint of an empty one; a folder
    that cannot be listed and a file that cannot be stat'ed (a symbolic link loop, a dangling link)
    count by name only, so that the inventory can list them with their reason.
    """
    digest = hashlib.sha1()
    folder = Path(folder)
    stack = [folder]
    entries = []
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                for entry in it:
                    rel = os.path.relpath(entry.path, folder)
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(Path(entry.path))
                            continue
                        st = entry.stat()
                    except OSError:
                        entries.append(f"{rel}\tunreadable")
                        continue
                    entries.append(f"{rel}\t{st.st_size}\t{st.st_mtime_ns}")
        except FileNotFoundError:
            continue
        except OSError:  # a folder that cannot be listed
            entries.append(f"{os.path.relpath(current, folder)}\tunreadable")
    for line in sorted(entries):
        digest.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()
