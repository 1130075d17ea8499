"""Read program files into documents: front-matter (or a whole YAML file) plus body, with the
line of every key, so any later finding can point at `file:line`.

Every file is parsed once with libyaml's safe loader. Line numbers come free from the parse
(each mapping remembers the line of its keys while it is built), so no second, slower
line-tracking pass is needed. Timestamps are kept as the text written, so the models can accept
strict ISO dates only. Problems become diagnostics on the document; nothing raises.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.ids import ID_MENTION
from soc2kit.registry import RULES, Severity
from soc2kit.regular_files import FileTooLargeError, NotARegularFileError, read_regular

if TYPE_CHECKING:
    from soc2kit.statements import Limit, Statement

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # PyYAML built without libyaml: same semantics, slower.
    _BaseLoader = yaml.SafeLoader


class LineDict(dict[Any, Any]):
    """A YAML mapping that knows the (1-based) line of itself and of each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int = 1) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_dict, (dict(self), self.line, self.key_lines))


class LineList(list[Any]):
    """A YAML sequence that knows the line of itself and of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int = 1) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_list, (list(self), self.line, self.item_lines))


def _rebuild_dict(items: dict[Any, Any], line: int, key_lines: dict[Any, int]) -> LineDict:
    mapping = LineDict(line)
    mapping.update(items)
    mapping.key_lines = key_lines
    return mapping


def _rebuild_list(items: list[Any], line: int, item_lines: list[int]) -> LineList:
    sequence = LineList(line)
    sequence.extend(items)
    sequence.item_lines = item_lines
    return sequence


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    key: str
    line: int
    first_line: int


class _LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that records lines, reports duplicate keys and keeps dates as text."""

    line_offset = 0

    def __init__(self, stream: str, line_offset: int) -> None:
        super().__init__(stream)
        self.text = stream
        self.line_offset = line_offset
        self.duplicates: list[DuplicateKey] = []
        self.values = 0
        self.characters = 0

    def _line(self, node: yaml.Node) -> int:
        return int(node.start_mark.line) + 1 + self.line_offset

    def construct_line_map(self, node: yaml.MappingNode) -> Any:
        mapping = LineDict(self._line(node))
        yield mapping
        own = {id(key_node) for key_node, _ in node.value}
        self.flatten_mapping(node)  # puts the keys of `<<:` merges first; the mapping's own keys override them
        written: set[Any] = set()
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found a key that is not a plain value", key_node.start_mark
                )
            line = self._line(key_node)
            if id(key_node) in own:
                if key in written:
                    self.duplicates.append(DuplicateKey(str(key), line, mapping.key_lines[key]))
                written.add(key)
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = line

    def construct_line_seq(self, node: yaml.SequenceNode) -> Any:
        sequence = LineList(self._line(node))
        yield sequence
        for item in node.value:
            sequence.append(self.construct_object(item, deep=True))
            sequence.item_lines.append(self._line(item))

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        """The tag of a scalar, as PyYAML's resolver decides it, remembered for short plain scalars
        (keys, IDs, dates, owners repeat across thousands of files; the regexes run once each)."""
        if kind is not yaml.ScalarNode or len(value) > _RESOLVED_MAX_LENGTH:
            return str(super().resolve(kind, value, implicit))
        if not implicit[0]:
            return _STR  # quoted or block scalars are strings (no path resolvers in the safe loader)
        tag = _RESOLVED.get(value)
        if tag is None:
            if len(_RESOLVED) >= _RESOLVED_MAX_ENTRIES:
                _RESOLVED.clear()
            tag = _RESOLVED[value] = str(super().resolve(kind, value, implicit))
        return tag

    def construct_timestamp_text(self, node: yaml.ScalarNode) -> str:
        return str(self.construct_scalar(node))

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int:
        """An integer as PyYAML reads it, refused when its text is long enough to make converting
        it slow (or to hit Python's limit on digits): no field of ours needs such a number."""
        if len(node.value) > MAX_NUMBER_LENGTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number written with {len(node.value):,} characters is too long", node.start_mark
            )
        return int(_BaseLoader.construct_yaml_int(self, node))

    def get_single_data(self) -> Any:
        """The document's data, built by `_build` (a direct walk over the nodes, faster than
        PyYAML's generic constructor) unless the document uses anything beyond plain maps, lists
        and scalars: then by the generic constructor, which also raises the precise error."""
        if _may_nest_too_deep(self.text):
            _check_depth(self.text, self.line_offset)  # before composing: libyaml composes recursively, in C
        node = self.get_single_node()
        if node is None:
            return None
        try:
            data = self._build(node, seen=set())
        except _UnusualNode:
            self.duplicates.clear()
            self.values, self.characters = _measure(node, self.line_offset)
            return self.construct_document(node)
        _check_size(self.values, self.characters, self._line(node))
        return data

    def _build(self, node: yaml.Node, *, seen: set[int]) -> Any:
        if isinstance(node, yaml.ScalarNode):
            simple = _PLAIN_SCALARS.get(node.tag)
            if simple is None:
                raise _UnusualNode
            self.values += 1
            self.characters += len(node.value)
            return simple(self, node)
        if id(node) in seen:
            # An alias of a collection: copying it could recurse forever or grow exponentially
            # ("billion laughs"); the generic constructor shares one object instead.
            raise _UnusualNode
        seen.add(id(node))
        self.values += 1
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            mapping = LineDict(self._line(node))
            key_lines = mapping.key_lines
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                    raise _UnusualNode
                key = self._build(key_node, seen=seen)
                line = self._line(key_node)
                if key in mapping:
                    self.duplicates.append(DuplicateKey(str(key), line, key_lines[key]))
                mapping[key] = self._build(value_node, seen=seen)
                key_lines[key] = line
            result: Any = mapping
        elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            sequence = LineList(self._line(node))
            sequence.extend(self._build(item, seen=seen) for item in node.value)
            sequence.item_lines = [self._line(item) for item in node.value]
            result = sequence
        else:
            raise _UnusualNode
        return result


class _UnusualNode(Exception):  # noqa: N818 - a signal to fall back, not an error
    """A node `_LineLoader._build` leaves to the generic constructor (tags, merge keys, aliased collections)."""


_MAP, _SEQ, _MERGE, _STR = (f"tag:yaml.org,2002:{name}" for name in ("map", "seq", "merge", "str"))
_RESOLVED: dict[str, str] = {}
"""Tag of each short plain scalar seen so far (see `_LineLoader.resolve`)."""
_RESOLVED_MAX_LENGTH, _RESOLVED_MAX_ENTRIES = 64, 200_000
_PLAIN_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:str": lambda _loader, node: node.value,
    "tag:yaml.org,2002:null": lambda _loader, _node: None,
    "tag:yaml.org,2002:bool": _BaseLoader.construct_yaml_bool,
    "tag:yaml.org,2002:int": _LineLoader.construct_bounded_int,
    "tag:yaml.org,2002:float": _BaseLoader.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": lambda _loader, node: node.value,
}
"""How `_build` makes each scalar: as PyYAML's safe constructor does, but dates stay text."""


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_line_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_line_seq)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_timestamp_text)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _LineLoader.construct_bounded_int)


class DocumentTooLargeError(Exception):
    """A document exceeds one of the reading limits (values, characters, nesting, a cycle of aliases)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
"""Bytes a program document may hold; the largest real ones are a few kilobytes."""
MAX_VALUES = 100_000
"""Values (scalars, lists, mappings) a document may hold once its aliases are expanded. Every later
step (validation, rules, the cache, the portal) walks the expanded data, so this bounds their work
too: a "billion laughs" of nested aliases is refused here instead of exhausting memory there."""
MAX_CHARACTERS = 2 * MAX_DOCUMENT_BYTES
"""Characters of text a document may hold once its aliases are expanded (an alias repeats its text)."""
MAX_DEPTH = 64
"""Nesting levels a document may have; every format soc2kit reads needs fewer than five."""
MAX_NUMBER_LENGTH = 100

_DEEP_INDENT_COLUMNS = 16
_DEEP_INDENT = re.compile(rf"[ \t?:-]{{{_DEEP_INDENT_COLUMNS}}}")


_DEEP_LINE = re.compile(rf"\n[ \t?:-]{{{_DEEP_INDENT_COLUMNS}}}")  # a literal first character: a fast scan


def _may_nest_too_deep(text: str) -> bool:
    """False when the YAML `text` surely nests at most `MAX_DEPTH` levels, cheap to decide: each
    flow level needs a bracket, and each block level one more column of indentation or indicator
    (a block sequence may sit at its parent key's column, hence two levels per column)."""
    brackets = text.count("[") + text.count("{")
    if brackets + 2 * _DEEP_INDENT_COLUMNS + 2 > MAX_DEPTH or _DEEP_INDENT.match(text) is not None:
        return True
    return _DEEP_LINE.search(text) is not None


def _check_depth(text: str, line_offset: int) -> None:
    """Raise `DocumentTooLargeError` when `text` nests deeper than `MAX_DEPTH` (libyaml parses into
    events with an explicit stack, so this pass is safe however deep the text goes)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    line = (int(mark.line) + 1 if mark is not None else 1) + line_offset
                    raise DocumentTooLargeError(f"is nested more than {MAX_DEPTH} levels deep", line)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # the real parse reports it, with its line


def _check_size(values: int, characters: int, line: int) -> None:
    if values > MAX_VALUES:
        raise DocumentTooLargeError(f"holds {values:,} values once its aliases are expanded, more than {MAX_VALUES:,}", line)
    if characters > MAX_CHARACTERS:
        raise DocumentTooLargeError(
            f"holds {characters:,} characters of text once its aliases are expanded, more than {MAX_CHARACTERS:,}", line
        )


def _measure(root: yaml.Node, line_offset: int) -> tuple[int, int]:
    """(values, characters) of the data `root` expands to, without expanding it: each node is
    measured once and its size reused wherever an alias repeats it. Raises `DocumentTooLargeError`
    past the limits, for expanded nesting deeper than `MAX_DEPTH`, and for an alias inside itself."""
    sizes: dict[int, tuple[int, int, int]] = {}
    open_nodes: set[int] = set()
    _too_deep = f"is nested more than {MAX_DEPTH} levels deep once its aliases are expanded"

    def line(node: yaml.Node) -> int:
        return int(node.start_mark.line) + 1 + line_offset

    def measure(node: yaml.Node, depth: int) -> tuple[int, int, int]:
        known = sizes.get(id(node))
        if known is not None:
            if depth + known[2] > MAX_DEPTH:
                raise DocumentTooLargeError(_too_deep, line(node))
            return known
        if isinstance(node, yaml.ScalarNode):
            return 1, len(node.value), 0
        if id(node) in open_nodes:
            raise DocumentTooLargeError("has an alias that refers to a collection it is inside of (a cycle)", line(node))
        if depth >= MAX_DEPTH:
            raise DocumentTooLargeError(_too_deep, line(node))
        open_nodes.add(id(node))
        children = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else node.value
        values, characters, height = 1, 0, 0
        for child in children:
            child_values, child_characters, child_height = measure(child, depth + 1)
            values += child_values
            characters += child_characters
            height = max(height, child_height + 1)
            _check_size(values, characters, line(node))
        open_nodes.discard(id(node))
        sizes[id(node)] = (values, characters, height)
        return values, characters, height

    values, characters, _ = measure(root, 0)
    return values, characters


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    line: int
    text: str


@dataclass(slots=True)
class Document:
    """One program file as read: its data with key lines, its Markdown body, its reading problems.

    A document restored from the cache (or sent back by a worker process) carries no data or body:
    they are read again from `root/path` on first use, which happens only for the few documents a
    finding points into, or when a page shows the body."""

    path: str
    kind: str
    markdown: bool = True
    root: str = ""
    entity_id: str | None = None
    body_line: int = 1
    diagnostics: list[Diagnostic] = field(default_factory=list)
    mentions: tuple[tuple[str, int], ...] = ()
    """IDs of controls and policies the body names, with their lines (see `collect_body_facts`)."""
    filled_sections: tuple[str, ...] = ()
    """Lower-cased titles of the body's level-2 sections that hold text (see `collect_body_facts`), so
    readiness's design check needs no second parse of a cached document."""
    statements: tuple[Statement, ...] = ()
    """A policy's statements (the items of its `## Policy statements` list; see `collect_body_facts`)."""
    _data: LineDict | None = None
    _body: str = ""
    _loaded: bool = True
    _sections: dict[str, Section] | None = None
    _limits: tuple[Limit, ...] | None = None
    _limits_found_now: bool = False

    @property
    def data(self) -> LineDict | None:
        if not self._loaded:
            self._reload()
        return self._data

    @property
    def body(self) -> str:
        if not self._loaded:
            self._reload()
        return self._body

    def light(self) -> Document:
        """A copy without data and body, cheap to cache and to send to a worker; it reloads them from disk when asked."""
        return Document(
            self.path,
            self.kind,
            self.markdown,
            self.root,
            self.entity_id,
            self.body_line,
            self.diagnostics,
            self.mentions,
            self.filled_sections,
            self.statements,
            _loaded=False,
            _limits=self._limits,
        )

    def to_plain(self) -> list[Any]:
        """What reading this document found, as JSON-ready data (no data, body or root); see `from_plain`.
        The last item is the control's limits, None until something asked for them (`found_limits`)."""
        return [
            self.path,
            self.kind,
            self.markdown,
            self.entity_id,
            self.body_line,
            [[d.code, d.path, d.line, d.message, d.hint, d.severity.value] for d in self.diagnostics],
            [list(mention) for mention in self.mentions],
            list(self.filled_sections),
            [statement.to_plain() for statement in self.statements],
            None if self._limits is None else [limit.to_plain() for limit in self._limits],
        ]

    @classmethod
    def from_plain(cls, plain: list[Any], root: str) -> Document:
        """A light document (see `light`) under `root` from `to_plain`'s data; ValueError if it is malformed."""
        from soc2kit.statements import Limit, Statement  # only a cached read needs them: the trail does not

        path, kind, markdown, entity_id, body_line, diagnostics, mentions, filled, statements, limits = plain
        if not (
            isinstance(path, str)
            and isinstance(kind, str)
            and isinstance(markdown, bool)
            and (entity_id is None or isinstance(entity_id, str))
            and type(body_line) is int
        ):
            raise ValueError("not a document")
        found = []
        for code, at, line, message, hint, severity in diagnostics:
            if code not in RULES or not (isinstance(at, str) and type(line) is int and isinstance(message, str)):
                raise ValueError("not a diagnostic")
            found.append(Diagnostic(code, at, line, message, str(hint), Severity(severity)))
        named = tuple((str(name), int(line)) for name, line in mentions)
        if not all(isinstance(title, str) for title in filled):
            raise ValueError("not a section title")
        return cls(
            path=path,
            kind=kind,
            markdown=markdown,
            root=root,
            entity_id=entity_id,
            body_line=body_line,
            diagnostics=found,
            mentions=named,
            filled_sections=tuple(filled),
            statements=tuple(Statement.from_plain(statement) for statement in statements),
            _loaded=False,
            _limits=None if limits is None else tuple(Limit.from_plain(limit) for limit in limits),
        )

    def _reload(self) -> None:
        self._loaded = True
        fresh = read_document(Path(self.root), self.path, self.kind, markdown=self.markdown)
        self._data, self._body = fresh._data, fresh._body

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The limits a control states in its Description and Test procedure. Parsed on first use,
        from the body (read again for a cached document): only the statement rules need them, and
        only for the controls a policy statement names; the check then keeps them in the cache."""
        if self._limits is None:
            from soc2kit.statements import CONTROL_LIMIT_SECTIONS, stated_limits

            sections = self.sections()
            self._limits = tuple(
                limit for title in CONTROL_LIMIT_SECTIONS for limit in stated_limits(self.section_lines(title, sections))
            )
            self._limits_found_now = True
        return self._limits

    def found_limits(self) -> list[Any] | None:
        """The limits `limits` parsed from the body in this run, as `to_plain` writes them (its last
        item), for the cache entry; None when they came from the cache or were never asked for."""
        if not self._limits_found_now or self._limits is None:
            return None
        return [limit.to_plain() for limit in self._limits]

    def line_of(self, *loc: str | int) -> int:
        """The line of the value at `loc` (keys and list indexes), or of its nearest known parent."""
        node: Any = self.data
        line = node.line if isinstance(node, LineDict) else 1
        for part in loc:
            if isinstance(node, LineDict) and part in node:
                line = node.key_lines.get(part, line)
                node = node[part]
            elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
                line = node.item_lines[part]
                node = node[part]
            else:
                break
        return line

    def sections(self) -> dict[str, Section]:
        """Level-2 Markdown sections of the body, by lower-cased title (found once per document)."""
        if self._sections is None:
            self._sections = self._find_sections()
        return self._sections

    def _find_sections(self) -> dict[str, Section]:
        found: dict[str, Section] = {}
        title: str | None = None
        start = 0
        lines: list[str] = []
        fence = False
        for offset, raw in enumerate(self.body.split("\n")):
            if raw.startswith(("```", "~~~")):
                fence = not fence
            if not fence and raw.startswith("## "):
                if title is not None:
                    found.setdefault(title.lower(), Section(title, start, "\n".join(lines).strip()))
                title, start, lines = raw[3:].strip(), self.body_line + offset, []
            elif title is not None:
                lines.append(raw)
        if title is not None:
            found.setdefault(title.lower(), Section(title, start, "\n".join(lines).strip()))
        return found

    def section_lines(self, title: str, sections: Mapping[str, Section] | None = None) -> list[tuple[int, str]]:
        """The lines of the level-2 section `title` of the body (the first such section, as
        `sections` picks it; pass `sections` when they are at hand), each with its line number in the
        file; empty when it is absent."""
        section = (self.sections() if sections is None else sections).get(title.lower())
        if section is None:
            return []
        lines = self.body.split("\n")
        found: list[tuple[int, str]] = []
        fence = False
        for offset in range(section.line - self.body_line + 1, len(lines)):
            raw = lines[offset]
            if raw.startswith(("```", "~~~")):  # as `sections` sees fences
                fence = not fence
            elif not fence and raw.startswith("## "):
                break
            found.append((self.body_line + offset, raw))
        return found


_MENTION = re.compile(rf"\b{ID_MENTION}\b")
_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$", re.MULTILINE)


def read_bytes(root: Path, path: str, diagnostics: list[Diagnostic]) -> bytes | None:
    """The bytes of the document `root/path`, or None with a finding when it is not a regular file,
    cannot be read, or is larger than `MAX_DOCUMENT_BYTES`."""
    try:
        return read_regular(os.path.join(root, path), limit=MAX_DOCUMENT_BYTES)
    except NotARegularFileError as exc:
        if exc.strerror == "it is a folder":
            diagnostics.append(diagnostic("SK001", path, 1, "is a directory, but a document file is expected here"))
        else:
            diagnostics.append(diagnostic("SK001", path, 1, f"is not a regular file ({exc.strerror})"))
    except FileTooLargeError as exc:
        diagnostics.append(diagnostic("SK015", path, 1, f"is too large to read: {exc.strerror}"))
    except OSError as exc:
        diagnostics.append(diagnostic("SK001", path, 1, f"cannot be read: {exc.strerror or exc}"))
    return None


def read_document(root: Path, path: str, kind: str, *, markdown: bool) -> Document:
    """Read `root/path`; Markdown files carry YAML front-matter, others are a YAML mapping."""
    doc = Document(path=path, kind=kind, markdown=markdown, root=str(root))
    raw = read_bytes(root, path, doc.diagnostics)
    if raw is not None:
        parse_bytes(doc, raw)
    return doc


def parse_bytes(doc: Document, raw: bytes) -> None:
    text = decode(raw, doc.path, doc.diagnostics)
    if text is not None:
        parse_text(doc, text, markdown=doc.markdown)


def decode(raw: bytes, path: str, diagnostics: list[Diagnostic]) -> str | None:
    """UTF-8 text with LF line endings, or None when the bytes are not UTF-8."""
    if raw.startswith(b"\xef\xbb\xbf"):
        diagnostics.append(diagnostic("SK003", path, 1, "starts with a UTF-8 byte-order mark"))
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        diagnostics.append(
            diagnostic("SK002", path, line, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
        )
        return None
    if "\r" in text:
        first = text.count("\n", 0, text.index("\r")) + 1
        diagnostics.append(diagnostic("SK004", path, first, "uses CRLF line endings"))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_text(doc: Document, text: str, *, markdown: bool) -> None:
    if not text.strip():
        doc.diagnostics.append(diagnostic("SK005", doc.path, 1, "is empty"))
        return
    if not markdown:
        _set_data(doc, _load_yaml(doc, text, line_offset=0))
        return
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if not _FENCE.match(first):
        doc.diagnostics.append(diagnostic("SK006", doc.path, 1, "has no front-matter: the first line must be `---`"))
        return
    close = _CLOSE.search(text, first_end + 1) if first_end >= 0 else None
    if close is None:
        doc.diagnostics.append(
            diagnostic("SK006", doc.path, 1, "front-matter opened on line 1 is never closed with a `---` line")
        )
        return
    yaml_text = text[first_end + 1 : close.start()]
    body_start = close.end() + 1
    doc._body = text[body_start:]
    doc.body_line = text.count("\n", 0, body_start) + 1
    _set_data(doc, _load_yaml(doc, yaml_text, line_offset=1))


def collect_body_facts(doc: Document) -> None:
    """Collect what the rules read of a parsed Markdown document's body: the IDs it mentions (SK107),
    which level-2 sections hold text (readiness's design check) and a policy's statements (SK306-SK309;
    a control's limits are parsed when a statement needs them, see `Document.limits`). The program's
    reader calls it once per file, so a cached document carries them and a warm run reads no body;
    readers that need only a document's data (the trail, `new`, a document reloaded for a finding's
    line) do not."""
    if not doc.markdown or not doc.body:
        return
    sections = doc.sections()
    doc.mentions = _mentions(doc.body, doc.body_line)
    doc.filled_sections = tuple(title for title, section in sections.items() if section.text)
    if doc.kind == "policy":
        from soc2kit.statements import STATEMENTS_SECTION, parse_statements

        doc.statements = tuple(parse_statements(doc.section_lines(STATEMENTS_SECTION, sections)))


def _mentions(body: str, body_line: int) -> tuple[tuple[str, int], ...]:
    # Lines counted from the previous mention, not from the top: a body naming IDs a hundred
    # thousand times must not cost a hundred thousand scans of the whole body.
    found: list[tuple[str, int]] = []
    line, counted = body_line, 0
    for match in _MENTION.finditer(body):
        line += body.count("\n", counted, match.start())
        counted = match.start()
        found.append((match.group(0), line))
    return tuple(found)


def _set_data(doc: Document, data: LineDict | None) -> None:
    doc._data = data
    entity_id = data.get("id") if data is not None else None
    doc.entity_id = entity_id if isinstance(entity_id, str) else None


def _load_yaml(doc: Document, text: str, *, line_offset: int) -> LineDict | None:
    loader = _LineLoader(text, line_offset)
    try:
        data = loader.get_single_data()
    except DocumentTooLargeError as exc:
        doc.diagnostics.append(diagnostic("SK015", doc.path, exc.line, exc.message))
        return None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else 1
        problem = exc.problem or "unsupported value"
        if "could not determine a constructor" in problem:
            quoted = re.search(r"'([^']*)'", problem)
            tag = (quoted.group(1) if quoted else problem).replace("tag:yaml.org,2002:", "!!")
            doc.diagnostics.append(diagnostic("SK008", doc.path, line, f"uses the YAML tag `{tag}`, which is not allowed"))
        else:
            doc.diagnostics.append(diagnostic("SK007", doc.path, line, f"YAML error: {problem}"))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else 1
        doc.diagnostics.append(diagnostic("SK007", doc.path, line, f"YAML syntax error: {exc.problem or exc.context}"))
        return None
    except yaml.YAMLError as exc:
        doc.diagnostics.append(diagnostic("SK007", doc.path, 1 + line_offset, f"YAML error: {exc}"))
        return None
    finally:
        loader.dispose()
    for dup in loader.duplicates:
        doc.diagnostics.append(
            diagnostic("SK009", doc.path, dup.line, f"key '{dup.key}' appears twice (first on line {dup.first_line})")
        )
    if data is None:
        what = "front-matter" if line_offset else "file"
        doc.diagnostics.append(diagnostic("SK005", doc.path, 1 + line_offset, f"{what} holds no YAML keys"))
        return None
    if not isinstance(data, LineDict):
        doc.diagnostics.append(
            diagnostic("SK010", doc.path, 1 + line_offset, f"must be a YAML mapping of keys, not a {type(data).__name__}")
        )
        return None
    return data
