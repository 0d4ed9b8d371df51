"""Atomic file writes: a file appears under its final name complete or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _process_umask() -> int:
    """The process's umask (reading it means setting it: done once, at import, before any thread writes)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_process_umask()  # what open() would give a new file: mkstemp alone gives 0600


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed over it when complete;
    the file gets the mode a plain ``open()`` would give it under the user's umask (reports are shared)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, _FILE_MODE)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def check_writable_dir(folder: Path) -> None:
    """Create ``folder`` (and its parents) when missing and prove a file can be created in it, before any
    long work whose results would go there. Raises OSError (``filename`` set) when it cannot."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-", suffix=".tmp")
    os.close(handle)
    os.unlink(probe)
