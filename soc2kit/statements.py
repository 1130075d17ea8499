"""Policy statements as data: each item of a policy's `## Policy statements` list, the controls it
names as testing it, and the limits (quantities with units) it states; and the limits a control
states in its Description and Test procedure.

A statement names its controls in a closing sentence written exactly `Tested by: AC-06, AC-09.`
Limits are what a policy commits to and a control restates: durations (minutes, hours, days,
business days, months), how often something happens (annual, quarterly, every 6 months), sample
sizes ("a sample of 25", "select 25"), numbers of approvals and of people. Everything here is pure:
it reads lines of text and touches no file; reading parses each policy's statements and each
control's limits once (`Document.statements`, `Document.limits`), so the cache keeps them too.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from soc2kit.ids import CONTROL_ID

STATEMENTS_SECTION = "Policy statements"
CONTROL_LIMIT_SECTIONS = ("Description", "Test procedure")
TESTED_BY = "Tested by:"


@dataclass(frozen=True, slots=True)
class Limit:
    """A quantity a document states: `value` in the base unit of its `kind` (see `KINDS`), `text`
    as written, `line` where it is written."""

    kind: str
    value: int
    text: str
    line: int

    def to_plain(self) -> list[Any]:
        return [self.kind, self.value, self.text, self.line]

    @classmethod
    def from_plain(cls, plain: Any) -> Limit:
        """The limit `to_plain` gave; ValueError if `plain` is not one."""
        kind, value, text, line = plain
        if kind not in KINDS or type(value) is not int or not isinstance(text, str) or type(line) is not int:
            raise ValueError("not a limit")
        return cls(kind, value, text, line)


KINDS = {
    "minutes": "minutes",
    "hours": "hours",
    "days": "days (a week is 7)",
    "business days": "business days",
    "months": "months (a year is 12)",
    "frequency": "how often (in days between occurrences: annual 365, quarterly 91, monthly 30)",
    "sample": "a sample size",
    "approvals": "a number of approvals or approvers",
    "people": "a number of people",
}
"""Every kind of limit, with the base unit its values are counted in."""


@dataclass(frozen=True, slots=True)
class Statement:
    """One item of a policy's statement list. `number` is its position in the section (1-based, as a
    reader counts "statement 3"); `text` is the item's text on one line; `controls` are the control
    IDs of its closing `Tested by:` sentence; `limits` are the quantities it states outside that
    sentence. `tested_by` is what follows `Tested by:` as written (None without the sentence), and
    `unreadable` the parts of it that are not control IDs."""

    number: int
    text: str
    line: int
    controls: tuple[str, ...] = ()
    limits: tuple[Limit, ...] = ()
    tested_by: str | None = None
    tested_by_line: int = 0
    unreadable: tuple[str, ...] = ()
    control_lines: Mapping[str, int] = field(default_factory=dict, hash=False)
    """The line where the statement names each of its controls."""
    end_line: int = 0
    """The last line of the item that holds text."""
    stray_tested_by_line: int = 0
    """The line of a `Tested by:` sentence before the closing one (0 when there is none): the
    controls it names count for nothing, which the writer cannot tell from the rendered policy."""

    def control_line(self, control_id: str) -> int:
        """The line where the statement names `control_id` (its `Tested by:` line otherwise)."""
        return self.control_lines.get(control_id, self.tested_by_line or self.line)

    def to_plain(self) -> list[Any]:
        """The statement as JSON-ready data (the cache keeps it); see `from_plain`."""
        return [
            self.number,
            self.text,
            self.line,
            self.end_line,
            [limit.to_plain() for limit in self.limits],
            self.tested_by,
            self.tested_by_line,
            list(self.unreadable),
            [[control_id, line] for control_id, line in self.control_lines.items()],
            self.stray_tested_by_line,
        ]

    @classmethod
    def from_plain(cls, plain: Any) -> Statement:
        """The statement `to_plain` gave; ValueError if `plain` is not one."""
        number, text, line, end_line, limits, tested_by, tested_by_line, unreadable, named, stray = plain
        numbers = (number, line, end_line, tested_by_line, stray)
        if not (
            all(type(value) is int for value in numbers)
            and isinstance(text, str)
            and (tested_by is None or isinstance(tested_by, str))
            and all(isinstance(name, str) for name in unreadable)
        ):
            raise ValueError("not a statement")
        control_lines: dict[str, int] = {}
        for control_id, at in named:
            if not (isinstance(control_id, str) and type(at) is int):
                raise ValueError("not a control's line")
            control_lines[control_id] = at
        return cls(
            number=number,
            text=text,
            line=line,
            end_line=end_line,
            controls=tuple(control_lines),
            limits=tuple(Limit.from_plain(limit) for limit in limits),
            tested_by=tested_by,
            tested_by_line=tested_by_line,
            unreadable=tuple(unreadable),
            control_lines=control_lines,
            stray_tested_by_line=stray,
        )


_ITEM = re.compile(r"^(?P<indent> {0,3})(?P<marker>[-*+]|\d{1,9}[.)])(?P<space>[ \t]+|$)")
_NESTED_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BACKTICKS = re.compile(r"`+")
_TESTED_BY = re.compile(r"(?:^|(?<=\s))tested by:\s*(?P<list>[^.:]*?)\s*\.?\s*$", re.IGNORECASE)
_STRAY_TESTED_BY = re.compile(r"(?:^|(?<=\s))tested by:", re.IGNORECASE)
_CONTROL_ID = re.compile(CONTROL_ID)


def parse_statements(lines: Iterable[tuple[int, str]]) -> list[Statement]:
    """The top-level list items among `lines` ((line number, text) pairs of one section), each with
    the lines that continue it: wrapped lines, nested lists, indented paragraphs and code."""
    items: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] | None = None
    content_indent = 0
    blank_before = False
    fence = False
    in_item_fence = False
    for number, raw in lines:
        if fence:
            fence = not _FENCE.match(raw)
            if in_item_fence and current is not None:
                current.append((number, ""))  # code inside an item: part of it, but no prose to read
            continue
        if _FENCE.match(raw):
            fence = True
            in_item_fence = current is not None and (_indent(raw) >= content_indent or not blank_before)
            if in_item_fence and current is not None:
                current.append((number, ""))
            else:
                current = None
            continue
        if not raw.strip():
            blank_before = True
            continue
        item = _ITEM.match(raw)
        top_level = item is not None and (current is None or _indent(raw) < content_indent)
        if item is not None and top_level:
            text = raw[item.end() :]
            current = [(number, text)]
            items.append(current)
            width = item.end() - len(item.group("space")) + 1
            content_indent = width if not text.strip() else item.end()
            blank_before = False
            continue
        if current is not None and (not blank_before or _indent(raw) >= content_indent):
            current.append((number, _NESTED_MARKER.sub("", raw, count=1)))
        else:
            current = None  # a paragraph after the list ends it
        blank_before = False
    return [_statement(position, parts) for position, parts in enumerate(items, start=1)]


def _indent(raw: str) -> int:
    return len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip())


class _Joined:
    """The lines of one item joined into one line of text, remembering where each line starts."""

    def __init__(self, parts: list[tuple[int, str]]) -> None:
        pieces: list[str] = []
        self.starts: list[int] = []
        self.numbers: list[int] = []
        length = 0
        for number, raw in parts:
            piece = " ".join(raw.split())
            if not piece:
                continue
            if pieces:
                length += 1
            self.starts.append(length)
            self.numbers.append(number)
            pieces.append(piece)
            length += len(piece)
        self.text = " ".join(pieces)
        self.first_line = parts[0][0]
        self.last_line = self.numbers[-1] if self.numbers else self.first_line

    def line_at(self, offset: int) -> int:
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.numbers[index] if index >= 0 else self.first_line


def _statement(position: int, parts: list[tuple[int, str]]) -> Statement:
    joined = _Joined(parts)
    prose = _blank_code(joined.text)
    tested = _TESTED_BY.search(prose)
    control_lines: dict[str, int] = {}
    unreadable: list[str] = []
    tested_by: str | None = None
    tested_by_line = 0
    stray_tested_by_line = 0
    limits_text = prose
    if tested is not None:
        tested_by = joined.text[tested.start("list") : tested.end("list")]
        tested_by_line = joined.line_at(tested.start())
        limits_text = prose[: tested.start()]
        stray = _STRAY_TESTED_BY.search(limits_text)
        stray_tested_by_line = joined.line_at(stray.start()) if stray is not None else 0
        offset = tested.start("list")
        for token in tested_by.split(","):
            name = token.strip()
            where = offset + (len(token) - len(token.lstrip()))
            offset += len(token) + 1
            if not name:
                continue
            if _CONTROL_ID.match(name):
                control_lines.setdefault(name, joined.line_at(where))
            else:
                unreadable.append(name)
    return Statement(
        number=position,
        text=joined.text,
        line=joined.first_line,
        end_line=joined.last_line,
        controls=tuple(control_lines),
        limits=tuple(_limits_in(limits_text, joined)),
        tested_by=tested_by,
        tested_by_line=tested_by_line,
        unreadable=tuple(unreadable),
        control_lines=control_lines,
        stray_tested_by_line=stray_tested_by_line,
    )


def _blank_code(text: str) -> str:
    """`text` with each inline code span replaced by spaces of its length: code is not prose.

    A span opens with a run of backticks and closes at the next run of the same length (CommonMark);
    found in one pass over the runs, so unclosed runs cost no rescans."""
    if "`" not in text:
        return text
    runs = [(match.start(), match.end()) for match in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    next_of_length = dict.fromkeys(by_length, 0)
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        start, end = runs[index]
        same = by_length[end - start]
        position = next_of_length[end - start]
        while position < len(same) and same[position] <= index:
            position += 1
        next_of_length[end - start] = position
        if position == len(same):
            index += 1
            continue
        closing = same[position]
        spans.append((start, runs[closing][1]))
        index = closing + 1
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces.extend((text[last:start], " " * (end - start)))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def stated_limits(lines: Iterable[tuple[int, str]]) -> list[Limit]:
    """The limits stated in `lines` ((line number, text) pairs), outside code, wrapped lines joined."""
    found: list[Limit] = []
    paragraph: list[tuple[int, str]] = []
    fence = False
    for number, raw in [*lines, (0, "")]:
        if _FENCE.match(raw):
            fence = not fence
            continue
        if fence:
            continue
        if raw.strip():
            paragraph.append((number, raw))
            continue
        if paragraph:
            joined = _Joined(paragraph)
            found.extend(_limits_in(_blank_code(joined.text), joined))
            paragraph = []
    return found


_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS_WORDS = "one|two|three|four|five|six|seven|eight|nine"
_NUMBER = (
    rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,6}}|(?:{_TENS})-(?:{_UNITS_WORDS})|"
    rf"{'|'.join(sorted(_WORDS, key=len, reverse=True))})"
)
_PERIODS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
_MONTH_PERIODS = {1: 30, 3: 91, 6: 182, 12: 365}
_NAMED_FREQUENCIES = {
    "daily": 1,
    "weekly": 7,
    "monthly": 30,
    "quarterly": 91,
    "semiannual": 182,
    "semi-annual": 182,
    "semiannually": 182,
    "semi-annually": 182,
    "half-yearly": 182,
    "twice-yearly": 182,
    "twice yearly": 182,
    "twice a year": 182,
    "annual": 365,
    "annually": 365,
    "yearly": 365,
    "once a year": 365,
}
_PEOPLE = r"people|persons|individuals|administrators|admins|members"


@cache
def _limit_pattern() -> re.Pattern[str]:
    """A limit in text lower-cased by `_ASCII_LOWER` (matching case-sensitively is twice as fast).
    Compiled on first use: compiling it takes longer than a cached run's whole use of this module."""
    return re.compile(
        # After the word boundary, the first letter of some alternative: rejects most words at once.
        r"(?<![\w.-])(?=[0-9adefhmnoqstwy])(?:"
        rf"(?:every|each)\s+(?P<every_n>{_NUMBER})\s+(?P<every_unit>day|week|month|year)s?\b"
        r"|(?:every|each|once\s+a)\s+(?P<every_one>day|week|month|quarter|year)\b"
        rf"|(?P<named>{'|'.join(sorted((re.escape(k) for k in _NAMED_FREQUENCIES), key=len, reverse=True))})\b"
        rf"|(?:(?:a\s+)?sample(?:\s+size)?(?:\s+of)?|select(?:s|ing)?(?:\s+a\s+(?:random\s+)?sample\s+of)?)"
        rf"\s+(?:(?:up\s+to|at\s+least)\s+)?(?P<sample>{_NUMBER})\b(?![ -](?:business|working|calendar|days?|hours?|weeks?|months?|years?)\b)"
        rf"|(?P<n>{_NUMBER})(?:\s+|-)(?:"
        r"(?P<business>business|working)[ -]days?"
        r"|(?:calendar[ -])?(?P<days>days?)"
        r"|(?P<weeks>weeks?)"
        r"|(?P<hours>hours?|hrs?|h)"
        r"|(?P<minutes>minutes?|mins?)"
        r"|(?P<months>months?)"
        r"|(?P<years>years?)"
        r"|(?:approving\s+)?(?P<approvals>approvals|approvers|approving\s+reviews?|approval|approver)"
        rf"|(?:[a-z]+\s+)?(?P<people>{_PEOPLE})"
        r")\b"
        r")",
    )


_ASCII_LOWER = {upper: upper + 32 for upper in range(ord("A"), ord("Z") + 1)}
"""Lower-cases ASCII letters only, so every offset in the lowered text is the same in the original."""
_DIGITS_HOURS = re.compile(r"(?<![\w.-])(?P<n>\d{1,4})h\b")
_DIGIT_THEN_H = re.compile(r"\dh")
"""Starts with a character class, so `search` skips ahead in C; `_DIGITS_HOURS` starts with a
look-behind and so is tried at every position."""


def _number(text: str) -> int:
    word = text.lower()
    if word in _WORDS:
        return _WORDS[word]
    if "-" in word:
        tens, units = word.split("-", 1)
        return _WORDS[tens] + _WORDS[units]
    return int(word.replace(",", ""))


def _limits_in(text: str, joined: _Joined) -> Iterator[Limit]:
    for match in _limit_pattern().finditer(text.translate(_ASCII_LOWER)):
        found = _limit(match)
        if found is not None:
            kind, value = found
            written = text[match.start() : match.end()]
            yield Limit(kind, value, " ".join(written.split()), joined.line_at(match.start()))
    if _DIGIT_THEN_H.search(text) is None:  # the common case, found at C speed
        return
    for match in _DIGITS_HOURS.finditer(text):
        yield Limit("hours", int(match.group("n")), match.group(0), joined.line_at(match.start()))


def _limit(match: re.Match[str]) -> tuple[str, int] | None:
    groups = match.groupdict()
    if groups["every_n"]:
        count, unit = _number(groups["every_n"]), groups["every_unit"].lower()
        if unit == "month" and count in _MONTH_PERIODS:
            return "frequency", _MONTH_PERIODS[count]
        return "frequency", count * _PERIODS[unit]
    if groups["every_one"]:
        return "frequency", _PERIODS[groups["every_one"].lower()]
    if groups["named"]:
        return "frequency", _NAMED_FREQUENCIES[" ".join(groups["named"].lower().split())]
    if groups["sample"]:
        return "sample", _number(groups["sample"])
    count = _number(groups["n"])
    kinds = (
        ("business", "business days", 1),
        ("days", "days", 1),
        ("weeks", "days", 7),
        ("hours", "hours", 1),
        ("minutes", "minutes", 1),
        ("months", "months", 1),
        ("years", "months", 12),
        ("approvals", "approvals", 1),
        ("people", "people", 1),
    )
    for group, kind, factor in kinds:
        if groups[group]:
            return kind, count * factor
    return None


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Limits of one kind where a statement and a control that tests it part ways: no value of the
    statement's (`stated`) is among the control's (`restated`)."""

    kind: str
    stated: tuple[Limit, ...]
    restated: tuple[Limit, ...]


def disagreements(statement: Iterable[Limit], control: Iterable[Limit]) -> list[Disagreement]:
    """Kinds of limit that the statement and the control both state without one value in common.

    A control that restates one of a statement's limits of a kind agrees in that kind, whatever else
    either states (a statement holds several duties, a control tests one of them in several steps);
    they disagree when no value meets: the policy says 5 business days and the control 10."""
    mine = _by_kind(statement)
    theirs = _by_kind(control)
    found = []
    for kind in KINDS:
        stated, restated = mine.get(kind, []), theirs.get(kind, [])
        if not stated or not restated:
            continue
        stated_values = {limit.value for limit in stated}
        restated_values = {limit.value for limit in restated}
        if stated_values & restated_values:
            continue
        found.append(Disagreement(kind, tuple(stated), tuple(restated)))
    return found


def _by_kind(limits: Iterable[Limit]) -> dict[str, list[Limit]]:
    grouped: dict[str, list[Limit]] = {}
    for limit in limits:
        grouped.setdefault(limit.kind, []).append(limit)
    return grouped


def keep_tested_by(markdown: str, keep: Collection[str]) -> str:
    """A policy file's text with each `Tested by:` sentence naming only the controls in `keep`, and
    without the sentences left naming none (`soc2kit init` copies the starter's policies into a
    program that holds only the controls in its scope). Everything else is left byte for byte."""
    lines = markdown.split("\n")
    start = _body_start(lines)
    section = _section_in(lines, start, STATEMENTS_SECTION)
    for statement in reversed(parse_statements(section)):
        dropped = [c for c in statement.controls if c not in keep]
        if statement.tested_by is None or not dropped:
            continue
        index = statement.tested_by_line - 1
        position = lines[index].translate(_ASCII_LOWER).rfind(TESTED_BY.lower())
        if position < 0:
            continue  # the words "Tested by:" wrap over two lines: left for `check` to report
        kept = [c for c in statement.controls if c in keep]
        sentence = f"{TESTED_BY} {', '.join(kept)}." if kept else ""
        lines[index] = (lines[index][:position] + sentence).rstrip()
        del lines[index + 1 : statement.end_line]
        if not lines[index].strip() and index + 1 > statement.line:
            del lines[index]
    return "\n".join(lines)


def _body_start(lines: list[str]) -> int:
    """The index of the first line after the front-matter (0 when there is none)."""
    if lines and lines[0].rstrip() == "---":
        for index in range(1, len(lines)):
            if lines[index].rstrip() in {"---", "..."}:
                return index + 1
    return 0


def _section_in(lines: list[str], start: int, title: str) -> list[tuple[int, str]]:
    """(line number, text) of the level-2 section `title` among `lines` from `start`, found as
    `Document.sections` finds it."""
    found: list[tuple[int, str]] = []
    inside = False
    fence = False
    for index in range(start, len(lines)):
        raw = lines[index]
        if raw.startswith(("```", "~~~")):
            fence = not fence
        if not fence and raw.startswith("## "):
            if inside:
                break
            inside = raw[3:].strip().lower() == title.lower()
            continue
        if inside:
            found.append((index + 1, raw))
    return found
