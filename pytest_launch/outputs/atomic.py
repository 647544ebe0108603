"""Atomic file writes: a temporary file in the same folder, fsync, then rename over the target.
A crash leaves the previous file whole, never half a file.

The rename would turn whatever sits at the target into a regular file, so the target must be a
regular file or a new path: a symlink, a FIFO, a device or a directory there is refused
(NotOurFile, an OSError) -- the second line of defence behind the pre-flight check of
outputs/paths.py, for a path that changed during the run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pytest_launch.outputs.paths import refuse_unless_replaceable


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    refuse_unless_replaceable(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        refuse_unless_replaceable(path)  # checked again as late as possible before the rename
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
