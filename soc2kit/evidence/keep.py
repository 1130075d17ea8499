"""Keep what a collector fetched as an evidence record, unless an identical record is there already.

    keep_record(program, control, ...) -> KeptRecord    the identical record, or a new one written
                                                        through `add_evidence` (atomic, secrets refused)
    identical_record(program, control, ...)             the record a rerun would reuse, if any
    json_bytes(value)                                   the one way collected data becomes a file

Shared by every collector that writes evidence (`soc2kit collect`, `soc2kit changes population`):
the same data gives the same bytes, so a rerun against an unchanged system finds its earlier
record and writes nothing. Files, and the record's `source` (system, query, tool), are scanned for
credentials before anything is written: collected data goes to Git and through pull requests, so a
secret in it is refused, never recorded.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from soc2kit.errors import UsageError

if TYPE_CHECKING:
    from soc2kit.models import Control, EvidenceRecord, EvidenceSource
    from soc2kit.program import Program


class SecretsFoundError(UsageError):
    """Collected data that looks like it holds a credential: refused, nothing written."""


@dataclass(frozen=True)
class KeptRecord:
    requirement: str
    record_id: str
    record_path: str
    """The record, relative to the program root (POSIX)."""
    files: tuple[tuple[str, str], ...]
    """(path relative to the program root, sha256) of each file it holds."""
    written: bool
    """False when an identical record was there already."""


_ENCODER = json.JSONEncoder(indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
_BATCH = 65536


def json_bytes(value: object) -> bytes:
    """Collected data as a file: sorted keys, two-space indent, UTF-8, one final newline (the bytes of
    `json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"`). Raises ValueError or
    TypeError for what JSON cannot hold (NaN, infinities, objects, mixed key types)."""
    # json.dumps holds every fragment in one list (millions of small strings for 100,000 users), then
    # the joined text, then its bytes. Joining and encoding a batch at a time holds only the bytes;
    # batches keep the per-fragment work in C, so this is no slower. (With an indent, CPython 3.11
    # encodes in pure Python either way: its C encoder does not indent.)
    fragments = _ENCODER.iterencode(value)
    buffer = io.BytesIO()
    while batch := list(itertools.islice(fragments, _BATCH)):
        buffer.write("".join(batch).encode("utf-8"))
    buffer.write(b"\n")
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def identical_record(
    program: Program,
    control: Control,
    requirement: str,
    source: EvidenceSource,
    digests: Mapping[str, str],
    *,
    newest_within: tuple[date, date] | None = None,
) -> EvidenceRecord | None:
    """A record of `control`'s `requirement` from the same system and query holding exactly these
    files, unchanged on disk. With `newest_within`, only the requirement's newest record is
    considered, and only when it was collected inside that window (a record of an earlier window
    does not show the control operating in this one)."""
    wanted = sorted(digests.items())
    records = [r for r in program.evidence_of(control) if r.requirement == requirement and r.purpose == "operating"]
    if newest_within is not None:
        newest = max(records, key=record_age, default=None)
        if newest is None or not newest_within[0] <= newest.collected <= newest_within[1]:
            return None
        records = [newest]
    for record in records:
        if (
            record.source is not None
            and _asked_alike(record.source, source)
            and sorted((f.path, f.sha256) for f in record.files) == wanted
            and _unchanged(program, record)
        ):
            return record
    return None


def keep_record(
    program: Program,
    control: Control,
    *,
    requirement: str,
    files: Mapping[str, bytes],
    source: EvidenceSource,
    collector: str,
    collected: date,
    covers: tuple[date, date] | None = None,
    newest_within: tuple[date, date] | None = None,
) -> KeptRecord:
    """The record of `requirement` holding `files`: an identical one already there (see
    `identical_record`), else a new one. Raises UsageError, writing nothing, when a file looks like
    it holds a credential."""
    from soc2kit.evidence.add import AddRequest, add_evidence
    from soc2kit.evidence.secrets import find_secrets, secrets_in

    in_source = [
        f"source {field} ({secret.kind})"
        for field in ("system", "query", "tool")
        for secret in secrets_in(str(getattr(source, field)).encode("utf-8"))
    ]
    if in_source:
        # Checked before reuse too: a rerun must not vouch for a query that carries a credential.
        raise SecretsFoundError(
            f"refusing to record {control.id} {requirement}: the record's source looks like it holds secrets: "
            + "; ".join(in_source)
            + ". Nothing was written; make the collector leave credentials out of the system and query it reports"
        )
    digests = {name: sha256(data) for name, data in files.items()}
    existing = identical_record(program, control, requirement, source, digests, newest_within=newest_within)
    if existing is not None:
        record_id, record_path, written = existing.id, program.source("evidence", existing.id).path, False
    else:
        with tempfile.TemporaryDirectory(prefix="soc2kit-collected-") as staging:
            folder = Path(staging)
            for name, data in files.items():
                (folder / name).write_bytes(data)
            found = [f"{name} ({secret.where()}: {secret.kind})" for name in files for secret in find_secrets(folder / name)]
            if found:
                raise SecretsFoundError(
                    f"refusing to record {control.id} {requirement}: the collected data looks like it holds secrets: "
                    + "; ".join(found)
                    + ". Nothing was written; make the collector leave credentials out of what it returns"
                )
            added = add_evidence(
                program.root,
                AddRequest(
                    control=control.id,
                    files=tuple(folder / name for name in files),
                    requirement=requirement,
                    collected=collected,
                    covers=covers,
                    collector=collector,
                    cwd=folder,
                    source=source,
                ),
                today=program.today,
            )
        record_id, record_path, written = added.record_id, added.record_path, True
    folder_path = record_path.rpartition("/")[0]
    paths = tuple((f"{folder_path}/{name}" if folder_path else name, digest) for name, digest in digests.items())
    return KeptRecord(requirement, record_id, record_path, paths, written)


def record_age(record: EvidenceRecord) -> tuple[date, int, str]:
    """Orders a requirement's records oldest to newest. Records of one day are numbered `-2`, `-3`, ...
    after the first: the highest number is the newest."""
    tail = record.id.rpartition("-")[2]
    return (record.collected, int(tail) if tail.isdigit() else 1, record.id)


def _asked_alike(recorded: EvidenceSource, source: EvidenceSource) -> bool:
    """The same system asked the same question by the same tool; `as_of` is when, not what."""
    return recorded.model_copy(update={"as_of": None}) == source.model_copy(update={"as_of": None})


def _unchanged(program: Program, record: EvidenceRecord) -> bool:
    """Every file of `record` is on disk with its recorded sha256 (a damaged record is never reused)."""
    folder = program.source("evidence", record.id).path.rpartition("/")[0]
    for file in record.files:
        path = f"{folder}/{file.path}" if folder else file.path
        try:
            if not os.path.isfile(program.root / path) or program.evidence_sha256(path) != file.sha256:
                return False
        except (OSError, ValueError):
            return False
    return True
