"""The one way soc2kit writes a file: whole or not at all, with the mode the umask gives.

A temp file is written next to the target, flushed to disk, given the mode a plain `open()` would
have given (mkstemp's 0600 would hide reports and schemas from the group that reads them), then
renamed over the target, or linked in exclusively when the target must not be overwritten. Readers
see the old file or the new one, never half of one; a failure or a kill leaves the old file as it
was and no temp file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from soc2kit.errors import UsageError


def _umask() -> int:
    # os.umask can only be read by setting it; set it straight back.
    current = os.umask(0o022)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], *, overwrite: bool = True, durable: bool = True) -> Iterator[IO[bytes]]:
    """A binary handle whose bytes become `path` only if the block finishes.

    `overwrite=False` refuses an existing `path` (`UsageError`, nothing written), also when another
    process creates it meanwhile. A missing parent folder or a `path` that is a folder is a
    `UsageError` naming it. `durable=False` skips the flush to disk, for files whose readers check
    them and can do without them (a cache: after a power cut it is read as empty, which costs time only).
    """
    target = Path(path)
    if target.is_dir():
        raise UsageError("is a folder; give a file name", path=target)
    parent = target.parent if str(target.parent) else Path()
    if not parent.is_dir():
        raise UsageError(f"cannot write {target.name}: the folder {parent} does not exist", path=target)
    if not overwrite and os.path.lexists(target):
        raise UsageError("already exists; nothing was written", path=target)
    fd, temp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        if overwrite:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)  # fails if target exists, even if it appeared a moment ago
            except FileExistsError:
                raise UsageError("already exists; nothing was written", path=target) from None
            os.unlink(temp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_file(path: str | os.PathLike[str], data: bytes | str, *, overwrite: bool = True, durable: bool = True) -> None:
    """Write `data` (text as UTF-8) to `path` atomically; see `atomic_writer`."""
    with atomic_writer(path, overwrite=overwrite, durable=durable) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def create_file(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Create `path` (and its missing parent folders) with `data`; an existing `path` is never touched."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_file(path, data, overwrite=False)
