"""The change exceptions register (`registers/change-exceptions.yml`): reading it, and which entries
name which commit. `changes check`, the trail and the portal all read it here, so they agree.

Public API
    EXCEPTABLE: the findings about one commit that an entry can close (SK601, SK602, SK604, SK605).
    read_register(raw, path) -> Register: the entries of one version, with line numbers, and the
        problems found (SK0xx for YAML and fields, SK607 for a code that is not exceptable). Fail closed:
        a version with any invalid entry has no entries.
    register_at(blobs, prefix, rev) -> Register: the version at `rev` (empty when there is none).
    Entry: one entry; `commit` (sha or a 12+ prefix) with one finding, or `before` (adoption: a full
        sha) with several. `note(path)` is the text shown on the findings it closes.
    Excepted: an entry as the trail and the portal show it on a commit (finding, reason, who, when).
    ExceptionIndex(register, root): the entries naming a commit (`of(sha)`); `before` entries cover the
        first-parent ancestors of their commit, read with one `git rev-list` per entry.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.git import Blobs
from soc2kit.layout import CHANGE_EXCEPTIONS
from soc2kit.registry import Severity

EXCEPTABLE = frozenset({"SK601", "SK602", "SK604", "SK605"})
"""Findings about one commit: what the register can close."""


@dataclass(frozen=True, slots=True)
class Excepted:
    """A finding on a commit that the change exceptions register accepts: shown, never hidden."""

    finding: str
    reason: str
    accepted_by: str
    accepted_on: str

    def to_dict(self) -> dict[str, str]:
        return {"finding": self.finding, "reason": self.reason, "accepted_by": self.accepted_by, "accepted_on": self.accepted_on}

    def describe(self) -> str:
        return f"{self.finding} excepted by {self.accepted_by} on {self.accepted_on}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Entry:
    line: int
    findings: tuple[str, ...]
    reason: str
    accepted_by: str
    accepted_on: date
    commit: str | None = None
    """A sha or a prefix of 12 or more (lower case)."""
    before: str | None = None
    """Adoption: the full sha of the first commit under the gate."""

    def note(self, path: str) -> str:
        adoption = f" (history before adopting the gate at {self.before[:12]})" if self.before else ""
        return (
            f"excepted by {path} line {self.line}{adoption}: {self.reason} "
            f"(accepted by {self.accepted_by} on {self.accepted_on.isoformat()})"
        )

    def shown(self, finding: str) -> Excepted:
        return Excepted(finding, self.reason, self.accepted_by, self.accepted_on.isoformat())


@dataclass
class Register:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def read_register(raw: bytes | None, path: str = CHANGE_EXCEPTIONS, *, today: date | None = None) -> Register:
    """The entries of one register version (`raw` bytes; None: no register), with line numbers.
    `today` (UTC by default) bounds `accepted_on`: a decision dated later than tomorrow is refused."""
    if raw is None:
        return Register()
    # Imported only for a register: they bring pydantic and every model, most of a short trail export's start-up.
    from soc2kit.documents import MAX_DOCUMENT_BYTES, Document, decode, parse_text
    from soc2kit.models import ChangeExceptions
    from soc2kit.validation import validate

    if len(raw) > MAX_DOCUMENT_BYTES:  # refused before parsing: a version in history may be any size
        message = f"is too large to read: {len(raw):,} bytes, more than the {MAX_DOCUMENT_BYTES:,} a document may have"
        return Register(problems=[diagnostic("SK015", path, 1, message)])
    doc = Document(path=path, kind="change-exceptions", markdown=False)
    text = decode(raw, path, doc.diagnostics)
    if text is not None:
        parse_text(doc, text, markdown=False)
    if text is not None:
        doc.diagnostics.extend(_shared_nodes(text, path))
    model = validate(doc, ChangeExceptions)
    # Fail closed: a duplicate key (which of the two did the reviewer read?) or a shared node voids the version.
    if not isinstance(model, ChangeExceptions) or any(d.severity is Severity.ERROR for d in doc.diagnostics):
        return Register(problems=list(doc.diagnostics))
    problems = list(doc.diagnostics)
    latest = (today or datetime.now(UTC).date()) + timedelta(days=1)  # a day's grace for time zones east of UTC
    allowed = ", ".join(sorted(EXCEPTABLE))
    entries: list[Entry] = []
    for index, item in enumerate(model.exceptions):
        line = doc.line_of("exceptions", index)
        codes = tuple(dict.fromkeys(item.findings or ([item.finding] if item.finding else [])))
        wrong = [code for code in codes if code not in EXCEPTABLE]
        problems.extend(
            diagnostic("SK607", path, line, f"'{code}' is not a change finding that can be excepted ({allowed})")
            for code in wrong
        )
        kept = tuple(code for code in codes if code in EXCEPTABLE)
        if item.accepted_on > latest:
            problems.append(
                diagnostic(
                    "SK607",
                    path,
                    doc.line_of("exceptions", index, "accepted_on"),
                    f"accepted_on {item.accepted_on.isoformat()} is in the future: the entry excepts nothing",
                    "Write the day the decision was taken (YYYY-MM-DD), not a day to come.",
                )
            )
            continue
        if kept:
            commit = item.commit.lower() if item.commit else None
            before = item.before.lower() if item.before else None
            entries.append(Entry(line, kept, item.reason, item.accepted_by, item.accepted_on, commit, before))
    return Register(entries, problems)


def _shared_nodes(text: str, path: str) -> list[Diagnostic]:
    """SK607 for each anchor, alias and merge key (`<<`): an entry must spell out every field it
    holds, so the reviewed diff shows what it excepts instead of a value defined lines away."""
    if "&" not in text and "*" not in text and "<<" not in text:
        return []
    import yaml

    hint = "Write each entry's fields out in full: the register takes no anchors, aliases or merge keys."
    found: list[Diagnostic] = []
    after_key = False
    try:
        for token in yaml.scan(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            line = token.start_mark.line + 1
            if isinstance(token, yaml.AnchorToken):
                found.append(diagnostic("SK607", path, line, f"defines the YAML anchor &{token.value}", hint))
            elif isinstance(token, yaml.AliasToken):
                found.append(diagnostic("SK607", path, line, f"repeats a value through the YAML alias *{token.value}", hint))
            elif after_key and isinstance(token, yaml.ScalarToken) and token.plain and token.value == "<<":
                found.append(diagnostic("SK607", path, line, "merges keys with `<<`", hint))
            after_key = isinstance(token, yaml.KeyToken)
    except yaml.YAMLError:
        pass  # the loader has reported the syntax error with its line
    return found


def register_at(blobs: Blobs, prefix: str, rev: str) -> Register:
    """The register version at `rev` of the program at `prefix` ("" or "sub/")."""
    return read_register(blobs.read(f"{rev}:{prefix}{CHANGE_EXCEPTIONS}"))


def first_parent_before(root: Path, sha: str) -> frozenset[str] | None:
    """The first-parent ancestors of commit `sha`, without it; None when `sha` is not a commit here."""
    from soc2kit.git import GitError, text

    try:
        listed = text(["rev-list", "--first-parent", "--end-of-options", f"{sha}^{{commit}}"], cwd=root).split()
    except GitError:
        return None
    return frozenset(listed[1:]) if listed and listed[0] == sha else None


def _resolve_commits(root: Path, prefixes: list[str]) -> dict[str, str]:
    """The full sha of each prefix naming exactly one commit (one `git cat-file` for all of them)."""
    from soc2kit.git import GitError, run

    unique = sorted(set(prefixes))
    if not unique:
        return {}
    try:
        out = run(
            ["cat-file", "--batch-check=%(objectname)"], cwd=root, input="".join(f"{p}^{{commit}}\n" for p in unique).encode()
        )
    except GitError:
        return {}
    # One answer line per query: the sha, or "<query> missing" / "<query> ambiguous".
    answers = out.decode("ascii", "replace").splitlines()
    return {
        prefix: answer
        for prefix, answer in zip(unique, answers, strict=False)
        if len(answer) in (40, 64) and answer.startswith(prefix)
    }


def _on_history(root: Path, ancestor: str, head: str) -> bool:
    from soc2kit.git import succeeds

    return succeeds(["merge-base", "--is-ancestor", ancestor, head], cwd=root)


class ExceptionIndex:
    """Register entries by commit: `commit` entries by sha or prefix, `before` entries by ancestry."""

    def __init__(self, entries: Iterable[Entry], root: Path | None = None, head: str | None = None) -> None:
        """With `root`, as `changes check` judges them: a prefix naming several commits (or none) names
        nothing, and with `head` too, a `before` commit off `head`'s history (another branch) covers nothing."""
        self.prefixed: list[tuple[str, Entry]] = []
        self.adoptions: list[tuple[frozenset[str], Entry]] = []
        entries = list(entries)
        resolved = _resolve_commits(root, [entry.commit for entry in entries if entry.commit]) if root is not None else {}
        for entry in entries:
            if entry.commit is not None:
                key = resolved.get(entry.commit) if root is not None else entry.commit
                if key is not None:
                    self.prefixed.append((key, entry))
            elif entry.before is not None and root is not None:
                covered = first_parent_before(root, entry.before)
                if covered is not None and (head is None or _on_history(root, entry.before, head)):
                    self.adoptions.append((covered, entry))
        self.prefixed.sort(key=lambda pair: pair[0])
        self._keys = [key for key, _ in self.prefixed]

    def entries_of(self, sha: str) -> list[Entry]:
        """The `commit` entries whose sha or prefix names `sha`, then the `before` entries covering it."""
        found: list[Entry] = []
        head = sha[:12]
        # Every key is 12+ characters, so those naming `sha` start with its first 12 and sort together.
        for index in range(bisect.bisect_left(self._keys, head), len(self._keys)):
            key = self._keys[index]
            if not key.startswith(head):
                break
            if sha.startswith(key):
                found.append(self.prefixed[index][1])
        found.extend(entry for covered, entry in self.adoptions if sha in covered)
        return found

    def of(self, sha: str) -> tuple[Excepted, ...]:
        """What the entries naming `sha` except on it, in a fixed order (for the trail and the portal)."""
        shown = [entry.shown(code) for entry in self.entries_of(sha) for code in entry.findings]
        return tuple(sorted(shown, key=lambda item: (item.finding, item.accepted_on, item.accepted_by, item.reason)))
