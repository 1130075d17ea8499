"""Line endings and evidence: Git's conversion (`core.autocrlf`, `text`/`eol` attributes) rewrites
a text file's bytes on checkout or commit, and so its sha256.

    GITATTRIBUTES               what `soc2kit init` writes: evidence stored byte-for-byte, LF for documents
    unprotected(root, paths)    the evidence paths Git may convert (one `git check-attr` for all of them)
    conversion(path, sha256)    whether a line-ending conversion alone explains a digest mismatch

The attributes are asked of Git itself, in one batch: it alone knows every place they come from
(`.gitattributes` at any level, `.git/info/attributes`, `core.attributesFile`, macros such as
`binary`), and one process costs a few milliseconds whatever the number of paths."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

from soc2kit.digests import CHUNK
from soc2kit.regular_files import open_regular

GITATTRIBUTES = """\
# soc2kit (`soc2kit init` writes this file; `soc2kit check` warns, SK411, when evidence lacks it).
# Evidence is stored byte-for-byte: its sha256 is recorded, and a line-ending conversion
# (core.autocrlf, the default of Git for Windows) would change it. Git LFS lines for evidence
# (`git lfs track`) set -text as well; keep it on any line you add for evidence/.
evidence/** -text
# Policies, controls and soc2kit.yml are text with LF line endings on every platform.
policies/** text eol=lf
controls/** text eol=lf
soc2kit.yml text eol=lf
"""

PROTECTION_LINE = "evidence/** -text"
PROBE = "evidence/SOC2KIT-PROBE/record/evidence.txt"
"""A path no record names, asked about too: a program without evidence yet needs the protection as well."""

Conversion = Literal["crlf-to-lf", "lf-to-crlf"]


def unprotected(root: Path, paths: list[str]) -> list[str] | None:
    """Those of `paths` (relative to `root`, in its Git work tree) that Git may convert line endings
    of, i.e. whose `text` attribute is not unset; None when Git cannot say (no Git, not a work tree)."""
    if not paths:
        return []
    from soc2kit.git import GitError, run

    try:
        out = run(
            ["check-attr", "-z", "--stdin", "text"],
            cwd=root,
            input=b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths),
        )
    except GitError:
        return None
    fields = out.split(b"\0")
    found = []
    for index in range(0, len(fields) - 2, 3):
        path, _attribute, value = fields[index : index + 3]
        if value != b"unset":
            found.append(path.decode("utf-8", "surrogateescape"))
    return found


def conversion(path: str | os.PathLike[str], recorded: str) -> Conversion | None:
    """How the file at `path` differs from the one recorded as `recorded` (sha256), when the only
    difference is its line endings: "crlf-to-lf" (the recorded file had CRLF, this one LF), or
    "lf-to-crlf" (the reverse). None otherwise, or when the file cannot be read."""
    as_is, as_lf, as_crlf = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    pending_cr = False
    try:
        with open_regular(path) as (handle, _):  # a FIFO swapped in after hashing must not block
            while chunk := handle.read(CHUNK):
                as_is.update(chunk)
                if pending_cr:
                    chunk = b"\r" + chunk
                # A CR at the end of a read may start a CRLF split across two reads.
                pending_cr = chunk.endswith(b"\r")
                if pending_cr:
                    chunk = chunk[:-1]
                lf = chunk.replace(b"\r\n", b"\n")
                as_lf.update(lf)
                as_crlf.update(lf.replace(b"\n", b"\r\n"))
    except OSError:
        return None
    if pending_cr:
        as_lf.update(b"\r")
        as_crlf.update(b"\r")
    if as_is.hexdigest() == recorded:
        return None
    if as_lf.hexdigest() == recorded:
        return "lf-to-crlf"
    if as_crlf.hexdigest() == recorded:
        return "crlf-to-lf"
    return None


def mismatch_hint(conversion_found: Conversion) -> str:
    """What to tell the user when an evidence file differs from its record only in line endings."""
    if conversion_found == "lf-to-crlf":
        return (
            "only its line endings differ (LF recorded, CRLF here): Git converted them on checkout "
            f"(core.autocrlf). Add `{PROTECTION_LINE}` to .gitattributes, commit it, then delete the file "
            "and run `git checkout -- <file>` to get the recorded bytes back"
        )
    return (
        "only its line endings differ (CRLF recorded, LF here): Git converted them when it was committed "
        f"(core.autocrlf or a `text` attribute). Add `{PROTECTION_LINE}` to .gitattributes and record "
        "the original file again"
    )
