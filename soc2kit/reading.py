"""Read the program's files into documents and models: through the cache, and on several cores
when many files changed.

Each file is read and parsed once. What crosses a process boundary or goes into the cache is small
and plain (a document without its data, the model as a JSON-ready dict); models are rebuilt from
those dicts. A cached entry that does not rebuild (a model that changed shape, say) is read again.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from soc2kit.cache import Cache, digest
from soc2kit.documents import Document, parse_bytes, read_bytes
from soc2kit.models import DOCUMENT_MODELS
from soc2kit.rules.content import check_document
from soc2kit.validation import validate

# Below this many changed files one process is faster than starting workers.
PARALLEL_THRESHOLD = 2000


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    kind: str
    markdown: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """One file, read: a light document (findings, no data) and its model as a plain dict."""

    key: bytes
    document: Document
    fields: dict[str, Any] | None


def read_sources(root: Path, sources: Sequence[Source], cache: Cache) -> Iterator[tuple[Document, BaseModel | None]]:
    """(document, model or None) for every source, in order."""
    raws: dict[str, bytes] = {}
    results: dict[str, tuple[Document, BaseModel | None]] = {}
    misses: list[Source] = []
    for source in sources:
        doc = Document(path=source.path, kind=source.kind, markdown=source.markdown, root=str(root))
        raw = read_bytes(root, source.path, doc.diagnostics)
        if raw is None:
            results[source.path] = (doc, None)
            continue
        key = digest(raw)
        hit = cache.document(source.path, key)
        restored = _restore_cached(hit, source, root) if hit is not None else None
        if restored is not None:
            results[source.path] = restored
        else:
            raws[source.path] = raw
            misses.append(source)
    for entry, fresh in _read_misses(root, misses, raws):
        cache.put_document(entry.document.path, entry.key, entry.document.to_plain(), entry.fields)
        results[entry.document.path] = fresh if fresh is not None else _restore(entry, root)
    for source in sources:
        yield results[source.path]


def _read_misses(
    root: Path, misses: list[Source], raws: dict[str, bytes]
) -> Iterable[tuple[Entry, tuple[Document, BaseModel | None] | None]]:
    jobs = _jobs()
    if len(misses) < PARALLEL_THRESHOLD or jobs < 2:
        for source in misses:
            doc, model = read_one(root, source, raws[source.path])
            yield _entry(raws[source.path], doc, model), (doc, model)
        return
    chunks = [misses[i::jobs] for i in range(jobs)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(_read_chunk, str(root), chunk, [raws[s.path] for s in chunk]) for chunk in chunks]
        for future in futures:
            for entry in future.result():
                yield entry, None


def _jobs() -> int:
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = os.environ.get("SOC2KIT_JOBS")
    if wanted and wanted.isdigit():
        return max(1, int(wanted))
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4)


def _read_chunk(root: str, sources: list[Source], raws: list[bytes]) -> list[Entry]:
    entries = []
    for source, raw in zip(sources, raws, strict=True):
        doc, model = read_one(Path(root), source, raw)
        entries.append(_entry(raw, doc, model))
    return entries


def read_one(root: Path, source: Source, raw: bytes) -> tuple[Document, BaseModel | None]:
    """Parse, validate and check one document on its own (the checks that need no other document)."""
    doc = Document(path=source.path, kind=source.kind, markdown=source.markdown, root=str(root))
    parse_bytes(doc, raw)
    model = validate(doc, DOCUMENT_MODELS[source.kind])
    if model is not None:
        doc.diagnostics.extend(check_document(doc, model))
    return doc, model


def _entry(raw: bytes, doc: Document, model: BaseModel | None) -> Entry:
    return Entry(digest(raw), doc.light(), model.model_dump(mode="json") if model is not None else None)


def _restore_cached(hit: list[Any], source: Source, root: Path) -> tuple[Document, BaseModel | None] | None:
    """The document and model of a cache entry, or None when they do not rebuild as `source`."""
    _key, plain, fields = hit
    try:
        doc = Document.from_plain(plain, str(root))
        if (doc.path, doc.kind, doc.markdown) != (source.path, source.kind, source.markdown):
            return None
        model = DOCUMENT_MODELS[doc.kind].model_validate(fields) if fields is not None else None
    except Exception:  # a damaged or outdated entry: read the file again
        return None
    return doc, model


def _restore(entry: Entry, root: Path) -> tuple[Document, BaseModel | None]:
    doc = entry.document.light()
    doc.root = str(root)
    model = DOCUMENT_MODELS[doc.kind].model_validate(entry.fields) if entry.fields is not None else None
    return doc, model
