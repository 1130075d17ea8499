"""Read the program's files into documents and models: through the cache, and on several cores
when asked to and many files changed.

Each file is read and parsed once. What crosses a process boundary or goes into the cache is small
and plain (a document without its data, the model as a JSON-ready dict); models are rebuilt from
those dicts. A cached entry that does not rebuild (a model that changed shape, say) is read again.

Reading checks nothing by itself: the findings it makes are about reading (SK0xx). The check step
may hand in a `DocumentCheck`, the rules that look at one document only; they then run while each
file is parsed anyway and their findings are cached with it, apart from reading's own, so a read
without checks never reports them and a checked read of a file cached without them reads it again.
"""

from __future__ import annotations

import multiprocessing
import os
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from soc2kit.cache import Cache, Stat, digest, regular_file_stat
from soc2kit.diagnostics import Diagnostic
from soc2kit.documents import Document, collect_body_facts, parse_bytes, read_bytes
from soc2kit.models import DOCUMENT_MODELS
from soc2kit.validation import validate

# Below this many changed files one process is faster than starting workers.
PARALLEL_THRESHOLD = 2000
JOBS_VARIABLE = "SOC2KIT_JOBS"

DocumentCheck = Callable[[Document, BaseModel], Iterable[Diagnostic]]
"""Checks of one valid document on its own (no other document needed): (document, model) -> findings."""


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    kind: str
    markdown: bool


@dataclass(frozen=True, slots=True)
class Read:
    """One file, read: its document, its model (None when it is not valid), and what `check` found
    in it (None when no `DocumentCheck` ran)."""

    document: Document
    model: BaseModel | None
    checked: list[Diagnostic] | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One file, read, as it crosses a process boundary: a light document (findings, no data), its
    model as a plain dict and the `DocumentCheck` findings."""

    key: bytes
    document: Document
    fields: dict[str, Any] | None
    checked: list[Diagnostic] | None


def default_jobs() -> int:
    """How many worker processes the CLI reads with: `SOC2KIT_JOBS`, else the cores this process
    may use, at most 4; 1 where processes cannot be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = os.environ.get(JOBS_VARIABLE)
    if wanted and wanted.isdigit():
        return max(1, int(wanted))
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4)


def read_sources(
    root: Path, sources: Sequence[Source], cache: Cache, *, check: DocumentCheck | None = None, jobs: int = 1
) -> Iterator[Read]:
    """Every source, read, in order; with `check`, each valid document checked on its own too.

    Files that the cache does not hold are read in `jobs` forked worker processes when there are at
    least `PARALLEL_THRESHOLD` of them (and forking is possible), else in this process."""
    raws: dict[str, bytes] = {}
    stats: dict[str, Stat | None] = {}
    results: dict[str, Read] = {}
    misses: list[Source] = []
    checked = check is not None
    for source in sources:
        stat = regular_file_stat(os.path.join(root, source.path)) if cache.path is not None else None
        hit = cache.unchanged_document(source.path, stat) if stat is not None else None
        restored = _restore_cached(hit, source, root, checked=checked) if hit is not None else None
        if restored is not None:
            results[source.path] = restored
            continue
        doc = Document(path=source.path, kind=source.kind, markdown=source.markdown, root=str(root))
        raw = read_bytes(root, source.path, doc.diagnostics)
        if raw is None:
            results[source.path] = Read(doc, None, [] if checked else None)
            continue
        key = digest(raw)
        hit = cache.document(source.path, key)
        restored = _restore_cached(hit, source, root, checked=checked) if hit is not None else None
        if restored is not None:
            results[source.path] = restored
            if hit is not None and stat is not None:  # same bytes, new stat (a checkout, a touch): keep the new one
                cache.put_document(source.path, key, hit[1], hit[2], stat)
        else:
            raws[source.path] = raw
            stats[source.path] = stat
            misses.append(source)
    for entry, fresh in _read_misses(root, misses, raws, check, jobs):
        cache.put_document(entry.document.path, entry.key, *_cached(entry), stats[entry.document.path])
        results[entry.document.path] = fresh if fresh is not None else _restore(entry, root)
    for source in sources:
        yield results[source.path]


def keep_found_limits(cache: Cache, documents: Iterable[Document]) -> None:
    """Add to each document's cache entry the limits a rule parsed from its body in this run
    (`Document.limits`, for the controls a policy statement names), so a later run reads no body."""
    for doc in documents:
        found = doc.found_limits()
        if found is not None:
            cache.add_to_document(doc.path, -1, found)  # the limits are the last item of `Document.to_plain`


def _read_misses(
    root: Path, misses: list[Source], raws: dict[str, bytes], check: DocumentCheck | None, jobs: int
) -> Iterable[tuple[Entry, Read | None]]:
    if jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1
    if len(misses) < PARALLEL_THRESHOLD or jobs < 2:
        for source in misses:
            read = read_one(root, source, raws[source.path], check)
            yield _entry(raws[source.path], read), read
        return
    chunks = [misses[i::jobs] for i in range(jobs)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(_read_chunk, str(root), chunk, [raws[s.path] for s in chunk], check) for chunk in chunks]
        for future in futures:
            for entry in future.result():
                yield entry, None


def _read_chunk(root: str, sources: list[Source], raws: list[bytes], check: DocumentCheck | None) -> list[Entry]:
    return [_entry(raw, read_one(Path(root), source, raw, check)) for source, raw in zip(sources, raws, strict=True)]


def read_one(root: Path, source: Source, raw: bytes, check: DocumentCheck | None = None) -> Read:
    """Parse and validate one document; with `check`, check it on its own too."""
    doc = Document(path=source.path, kind=source.kind, markdown=source.markdown, root=str(root))
    parse_bytes(doc, raw)
    collect_body_facts(doc)
    model = validate(doc, DOCUMENT_MODELS[source.kind])
    checked = None if check is None else list(check(doc, model)) if model is not None else []
    return Read(doc, model, checked)


def _entry(raw: bytes, read: Read) -> Entry:
    fields = read.model.model_dump(mode="json") if read.model is not None else None
    return Entry(digest(raw), read.document.light(), fields, read.checked)


def _cached(entry: Entry) -> tuple[list[Any], dict[str, Any]]:
    """The cache's form of an entry: the document with reading's findings and then the check's; and
    the model's fields, how many of those findings are reading's, and whether the check ran."""
    both = entry.document.light()
    both.diagnostics = [*entry.document.diagnostics, *(entry.checked or ())]
    return both.to_plain(), {
        "model": entry.fields,
        "reading": len(entry.document.diagnostics),
        "checked": entry.checked is not None,
    }


def _restore_cached(hit: list[Any], source: Source, root: Path, *, checked: bool) -> Read | None:
    """The read of a cache entry, or None when it does not rebuild as `source` or lacks the check's findings."""
    _key, plain, about, _stat = hit
    try:
        fields, reading_count, was_checked = about["model"], about["reading"], about["checked"]
        if type(reading_count) is not int or not isinstance(was_checked, bool):
            return None
        if checked and not was_checked and fields is not None:
            return None
        doc = Document.from_plain(plain, str(root))
        if (doc.path, doc.kind, doc.markdown) != (source.path, source.kind, source.markdown):
            return None
        model = rebuild(DOCUMENT_MODELS[doc.kind], fields) if fields is not None else None
    except Exception:  # a damaged or outdated entry: read the file again
        return None
    found = doc.diagnostics
    doc.diagnostics = found[:reading_count]
    return Read(doc, model, found[reading_count:] if checked else None)


def _restore(entry: Entry, root: Path) -> Read:
    doc = entry.document.light()
    doc.root = str(root)
    model = rebuild(DOCUMENT_MODELS[doc.kind], entry.fields) if entry.fields is not None else None
    return Read(doc, model, entry.checked)


def rebuild(model: type[BaseModel], fields: dict[str, Any]) -> BaseModel:
    """The model whose `model_dump(mode="json")` gave `fields`, equal to `model.model_validate(fields)`.

    The cache holds only dumps of models that validated, checked by sha256 on read and written by
    soc2kit alone (see `soc2kit.cache`), so validating them again only repeats what passed: the
    fields are converted back (dates, nested models) and set directly, which takes less than half
    the time (about 0.3 s of a warm check of 10,000 documents). A model whose fields this cannot
    convert is validated as before; fields that are not exactly the model's raise ValueError."""
    build = _builder(model)
    return build(fields) if build is not None else model.model_validate(fields)


Convert = Callable[[Any], Any]


class _UnconvertibleError(Exception):
    """A field type `_converter` does not know: the model is validated instead."""


@cache
def _builder(model: type[BaseModel]) -> Callable[[dict[str, Any]], BaseModel] | None:
    # Setting __dict__ is what `model_construct` does, minus its per-field defaults and alias handling,
    # which a complete dump never needs; private attributes or extra fields would need more.
    if model.__private_attributes__ or model.model_config.get("extra") == "allow":
        return None
    try:
        converters = {name: _converter(info.annotation) for name, info in model.model_fields.items()}
    except _UnconvertibleError:
        return None
    names = converters.keys()
    converted = [(name, convert) for name, convert in converters.items() if convert is not None]
    new, set_attribute = object.__new__, object.__setattr__

    def build(fields: dict[str, Any]) -> BaseModel:
        if fields.keys() != names:
            raise ValueError(f"not the fields of {model.__name__}")
        values = {name: fields[name] for name in names}  # in field order, as validation gives them
        for name, convert in converted:
            value = values[name]
            if value is not None:
                values[name] = convert(value)
        instance = new(model)
        set_attribute(instance, "__dict__", values)
        set_attribute(instance, "__pydantic_fields_set__", set(names))
        set_attribute(instance, "__pydantic_extra__", None)
        set_attribute(instance, "__pydantic_private__", None)
        return instance

    return build


def _converter(annotation: Any) -> Convert | None:
    """How a JSON-mode dump of a field of type `annotation` turns back into its value (None: as it
    is, for a value that is not a list); None values are kept by the caller."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _converter(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        kinds = [kind for kind in get_args(annotation) if kind is not type(None)]
        if len(kinds) != 1:
            raise _UnconvertibleError(annotation)
        return _converter(kinds[0])
    if origin is list:
        item = _converter(get_args(annotation)[0])
        return list if item is None else lambda values: [item(value) for value in values]
    if origin is dict:
        key, value_type = get_args(annotation)
        if key is not str:
            raise _UnconvertibleError(annotation)
        entry = _converter(value_type)
        return dict if entry is None else lambda values: {name: entry(value) for name, value in values.items()}
    if origin is Literal or annotation in (str, int, bool):
        return None
    if annotation is date:
        return date.fromisoformat
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        build = _builder(annotation)
        if build is None:
            raise _UnconvertibleError(annotation)
        return build
    raise _UnconvertibleError(annotation)
