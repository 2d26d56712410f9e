"""Errors that the command line turns into one clear line naming the file and the reason."""

from pathlib import Path


class InputError(Exception):
    """Bad input: ``path`` is the offending file or folder, ``reason`` says why, in one line."""

    def __init__(self, path, reason: str):
        self.path = Path(path) if path is not None else None
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{self.path}: {self.reason}" if self.path else self.reason)
