"""Content digests of evidence files: sha256, or for a Git LFS pointer file the oid it names.

Kept apart from `soc2kit.evidence` because `check` hashes every evidence file and should not
import the machinery for adding and verifying evidence to do so."""

from __future__ import annotations

import hashlib
import os
import re

from soc2kit.regular_files import NotARegularFileError, open_regular

LFS_POINTER_MAX = 1024
"""Git LFS pointer files are smaller than this (the LFS specification's limit)."""
CHUNK = 1 << 20
_LFS_VERSIONS = (b"version https://git-lfs.github.com/spec/v1\n", b"version https://hawser.github.com/spec/v1\n")
_LFS_OID = re.compile(r"sha256:([0-9a-f]{64})")

__all__ = ["CHUNK", "LFS_POINTER_MAX", "NotARegularFileError", "file_sha256", "lfs_pointer_oid"]


def lfs_pointer_oid(data: bytes) -> str | None:
    """The sha256 oid named by a Git LFS pointer file's bytes, or None if `data` is not a pointer."""
    if len(data) >= LFS_POINTER_MAX or not data.startswith(_LFS_VERSIONS) or not data.endswith(b"\n"):
        return None
    try:
        lines = data.decode("ascii").splitlines()[1:]
    except UnicodeDecodeError:
        return None
    fields: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(" ")
        if not sep or not key or key in fields:
            return None
        fields[key] = value
    match = _LFS_OID.fullmatch(fields.get("oid", ""))
    if match is None or not fields.get("size", "").isdigit():
        return None
    return match.group(1)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's content; for a Git LFS pointer file, the oid it names (content not fetched).

    The two agree: Git LFS names an object by the sha256 of its content, so a record stays valid
    whether the working copy holds the pointer or the fetched file. `NotARegularFileError` for a
    folder, pipe or device (a FIFO would block the read, `/dev/zero` would never end it)."""
    with open_regular(path) as (handle, _):
        head = handle.read(LFS_POINTER_MAX)
        if len(head) < LFS_POINTER_MAX:
            oid = lfs_pointer_oid(head)
            if oid is not None:
                return oid
        digest = hashlib.sha256(head)
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
