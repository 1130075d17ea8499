"""Reading files a repository names: only regular files, and never more bytes than asked for.

A program folder is untrusted: a document or an evidence file may be a FIFO (opening it for reading
waits for a writer that never comes), a link to `/dev/zero` or `/dev/urandom` (reading never ends),
or simply huge. Every reader of repository files opens them here: `O_NONBLOCK` so a FIFO cannot
block the open, `fstat` on the open descriptor (no race with a rename) and `S_ISREG`, then a read
bounded by `limit`."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class NotARegularFileError(OSError):
    """The path is a folder, a device, a pipe or a socket: it has no content to read."""

    def __init__(self, path: str | os.PathLike[str], what: str = "not a regular file") -> None:
        super().__init__(f"{os.fspath(path)} is {what}")
        self.strerror = f"it is {what}"
        self.filename = os.fspath(path)


class FileTooLargeError(OSError):
    """The file holds more bytes than the reader accepts."""

    def __init__(self, path: str | os.PathLike[str], size: int, limit: int) -> None:
        super().__init__(f"{os.fspath(path)} has {size} bytes, more than the {limit} allowed")
        self.strerror = f"it has {size:,} bytes, more than the {limit:,} a document may have"
        self.filename = os.fspath(path)
        self.size = size
        self.limit = limit


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _open_regular_fd(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    try:
        fd = os.open(path, _FLAGS)
    except IsADirectoryError:
        raise NotARegularFileError(path, "a folder") from None
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotARegularFileError(path, _kind(info.st_mode))
    return fd, info  # O_NONBLOCK means nothing for a regular file: reads behave as usual


@contextmanager
def open_regular(path: str | os.PathLike[str]) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """The open regular file at `path` (links followed) and its stat; `NotARegularFileError` for
    anything else, other `OSError`s as `open` raises them."""
    fd, info = _open_regular_fd(path)
    with os.fdopen(fd, "rb") as handle:
        yield handle, info


def read_regular(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """The bytes of the regular file at `path`; `FileTooLargeError` when it holds more than `limit`
    (checked before and while reading, so a file that grows cannot slip past)."""
    fd, info = _open_regular_fd(path)
    try:
        if info.st_size > limit:
            raise FileTooLargeError(path, info.st_size, limit)
        chunks = [os.read(fd, info.st_size + 1)]  # one read, unless the file grew since fstat
        total = len(chunks[0])
        while chunks[-1] and total <= limit:
            chunks.append(os.read(fd, limit + 1 - total))
            total += len(chunks[-1])
    finally:
        os.close(fd)
    if total > limit:
        raise FileTooLargeError(path, total, limit)
    return b"".join(chunks) if len(chunks) > 1 else chunks[0]
