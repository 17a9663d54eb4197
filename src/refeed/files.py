"""Replacing a file atomically: a reader sees the old file or the new one, never a part.

The bytes go to a temporary file in the same directory, flushed to disk, which then
replaces the file; the directory entry is flushed too. :mod:`refeed.publish` writes the
feed files so, and :mod:`refeed.configedit` the config file ``refeed add`` appends to.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def replace_file(path: Path, data: bytes, mode: int) -> None:
    """Write *data* to *path* atomically with permissions *mode*, creating its directory
    if missing. On failure the temporary file is removed, the old file is left as it was,
    and the :class:`OSError` propagates."""
    directory = path.parent
    tmp_path: Path | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=directory, delete=False, prefix=f".{path.name}.", suffix=".tmp"
        ) as tmp:
            tmp_path = Path(tmp.name)
            tmp.write(data)
            tmp.flush()
            os.fchmod(tmp.fileno(), mode)
            os.fsync(tmp.fileno())
        tmp_path.replace(path)
    except OSError:
        if tmp_path is not None:
            with contextlib.suppress(OSError):
                tmp_path.unlink(missing_ok=True)
        raise
    fsync_dir(directory)


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry to disk, where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
