"""The `Diagnostic` type, `apply_severities` (what `soc2kit.yml` sets per rule), and the formatters
that print a run's diagnostics as text, JSON, GitHub workflow annotations or SARIF 2.1.0."""

from __future__ import annotations

import json
import posixpath
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from soc2kit.escaping import terminal
from soc2kit.registry import RULES, Rule, Severity, find_rule

FORMATS = ("text", "json", "github", "sarif")
JSON_SHAPE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: which rule, where (repo-relative POSIX path, 1-based line), what and how to fix it."""

    code: str
    path: str
    line: int
    message: str
    hint: str = ""
    severity: Severity = field(default=Severity.ERROR)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line, self.code, self.message)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "rule": self.rule.name,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


def diagnostic(code: str, path: str, line: int, message: str, hint: str = "") -> Diagnostic:
    """A diagnostic at its rule's default severity (the program applies `soc2kit.yml` overrides)."""
    return Diagnostic(code, path, max(line, 1), message, hint or RULES[code].fix, RULES[code].severity)


def apply_severities(found: Iterable[Diagnostic], settings: Mapping[str, str]) -> list[Diagnostic]:
    """`found` with the severity `soc2kit.yml` sets per rule (keyed by code or name; "off" drops the
    finding; unknown keys are ignored here, reading reports them as SK021), sorted for output."""
    by_code = {rule.code: setting for key, setting in settings.items() if (rule := find_rule(key)) is not None}
    result = []
    for diag in found:
        setting = by_code.get(diag.code)
        if setting == "off":
            continue
        result.append(diag if setting in (None, diag.severity.value) else replace(diag, severity=Severity(setting)))
    result.sort(key=lambda diag: diag.sort_key())
    return result


@dataclass(frozen=True, slots=True)
class Summary:
    errors: int
    warnings: int
    infos: int
    documents: int
    command: str = "soc2kit check"
    unit: str = "document"
    """What `documents` counts (commits, for `soc2kit changes check`)."""
    nothing_examined: str = ""
    """Why no document (or commit) was examined, when `documents` is 0."""

    @classmethod
    def of(
        cls,
        diagnostics: Iterable[Diagnostic],
        documents: int,
        *,
        command: str = "soc2kit check",
        unit: str = "document",
        nothing_examined: str = "",
    ) -> Summary:
        counts = Counter(d.severity for d in diagnostics)
        if documents == 0 and not nothing_examined:
            nothing_examined = f"there was no {unit} to examine"
        return cls(
            counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.INFO], documents, command, unit, nothing_examined
        )

    @property
    def passed(self) -> bool:
        """No error, and something was examined: a run that looked at nothing did not pass."""
        return self.errors == 0 and self.documents > 0

    def line(self) -> str:
        def plural(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"

        found = ", ".join((plural(self.errors, "error"), plural(self.warnings, "warning"), plural(self.infos, "note")))
        if self.documents == 0 and not self.errors:
            return f"{self.command} examined 0 {self.unit}s: {self.nothing_examined}; nothing to check ({found})."
        verdict = "failed" if self.errors else "passed"
        return f"{self.command} {verdict}: {found} in {plural(self.documents, self.unit)}."


SHOWN_PER_RULE = 5
"""In the text report, how many findings of one rule are printed before the rest become one count line."""


def format_text(
    diagnostics: Sequence[Diagnostic],
    summary: Summary,
    *,
    color: bool = False,
    quiet: bool = False,
    verbose: bool = False,
    shown_per_rule: int | None = SHOWN_PER_RULE,
    list_all: str = "--select {code} lists them all",
) -> str:
    """One line per finding, `path:line: severity: CODE message`, as compilers and linters print them
    (terminals, editors and problem matchers link the location), each followed by its hint.

    By default a rule that fires more than `shown_per_rule` times (None: no limit) shows its first
    ones, its hint once, and one count line saying how to see the rest (`list_all`, with `{code}` in
    it), so a program with hundreds of one finding still fits on a screen. `verbose` prints every
    finding and every hint. `quiet` prints only the count per rule and the summary line, and nothing at all when
    there is no error."""
    if quiet and not summary.errors:
        return ""
    paint = _Paint(enabled=color)
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    by_rule = Counter(d.code for d in ordered)
    limit = None if verbose else shown_per_rule
    out: list[str] = []
    if not quiet:
        printed: Counter[str] = Counter()
        hints_given: dict[str, set[str]] = {}
        for diag in ordered:
            if limit is not None and printed[diag.code] >= limit:
                continue
            printed[diag.code] += 1
            where = f"{terminal(diag.path)}:{diag.line}:" if diag.path else ""
            level = paint.severity(f"{diag.severity.value}:")
            out.append(
                " ".join(part for part in (paint.bold(where), level, paint.dim(diag.code), terminal(diag.message)) if part)
            )
            given = hints_given.setdefault(diag.code, set())
            if diag.hint and (verbose or diag.hint not in given):
                given.add(diag.hint)
                out.append(f"    {paint.dim('hint:')} {terminal(diag.hint)}")
        if out:
            out.append("")
    collapsed = limit is not None and any(n > limit for n in by_rule.values())
    if len(by_rule) > 1 or collapsed or (quiet and by_rule):
        for code, count in sorted(by_rule.items(), key=lambda item: (-item[1], item[0])):
            line = f"{code} {RULES[code].name}: {_count_of(code, count, ordered)}"
            if limit is not None and count > limit and not quiet:
                line += f" ({limit} shown; {list_all.format(code=code)})"
            out.append(line)
    out.append(paint.bold(summary.line()))
    return "\n".join(out) + "\n"


def _count_of(code: str, count: int, diagnostics: Sequence[Diagnostic]) -> str:
    severities = {d.severity for d in diagnostics if d.code == code}
    noun = (
        {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.EXCEPTED: "excepted finding"}[
            severities.pop()
        ]
        if len(severities) == 1
        else "finding"
    )
    return f"{count} {noun}{'' if count == 1 else 's'}"


def format_json(diagnostics: Sequence[Diagnostic], summary: Summary, *, version: str) -> str:
    payload = {
        "version": JSON_SHAPE_VERSION,
        "tool": {"name": "soc2kit", "version": version},
        "summary": {
            "passed": summary.passed,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "infos": summary.infos,
            "documents": summary.documents,
            **({"nothing_examined": summary.nothing_examined} if summary.documents == 0 else {}),
        },
        "diagnostics": [d.to_dict() for d in sorted(diagnostics, key=Diagnostic.sort_key)],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def repository_path(path_prefix: str, path: str) -> str:
    """A program-relative `path` relative to the Git root, normalised: a program in `sub/` names
    `.github/workflows/x.yml` as `../.github/workflows/x.yml`, which GitHub must see as `.github/workflows/x.yml`."""
    return posixpath.normpath(path_prefix + path) if path_prefix else path


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.EXCEPTED: "notice"}


def format_github(diagnostics: Sequence[Diagnostic], summary: Summary, *, path_prefix: str = "") -> str:
    """GitHub workflow commands: each finding shows as an annotation on the PR's changed line.

    `path_prefix` is where the program folder is in the Git repository ("sub/dir/"): GitHub reads
    annotation paths from the repository root."""
    lines = []
    for diag in sorted(diagnostics, key=Diagnostic.sort_key):
        props = f"file={_escape_property(repository_path(path_prefix, diag.path))},line={diag.line},title={_escape_property(diag.code + ' ' + diag.rule.name)}"
        # The workflow log interprets escape sequences: program text in a message shows as text only.
        message = terminal(diag.message) + (f"\n{terminal(diag.hint)}" if diag.hint else "")
        lines.append(f"::{_GITHUB_LEVEL[diag.severity]} {props}::{_escape_data(message)}")
    lines.append(summary.line())
    return "\n".join(lines) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.EXCEPTED: "note"}
RULES_DOC_URL = "https://github.com/soc2kit/soc2kit/blob/main/docs/rules.md"


def format_sarif(diagnostics: Sequence[Diagnostic], *, version: str, path_prefix: str = "") -> str:
    """SARIF 2.1.0, as GitHub code scanning reads it: paths from the repository root (`path_prefix`
    is where the program folder is in it, "sub/dir/")."""
    rules = sorted(RULES.values(), key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = [
        {
            "ruleId": diag.code,
            "ruleIndex": index[diag.code],
            "level": _SARIF_LEVEL[diag.severity],
            "message": {"text": diag.message + (f" ({diag.hint})" if diag.hint else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": repository_path(path_prefix, diag.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": diag.line},
                    }
                }
            ],
            # An excepted finding is a decision on record (the register entry): SARIF's external suppression.
            **(
                {"suppressions": [{"kind": "external", "justification": diag.hint}]} if diag.severity is Severity.EXCEPTED else {}
            ),
        }
        for diag in sorted(diagnostics, key=Diagnostic.sort_key)
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "soc2kit",
                        "version": version,
                        "informationUri": RULES_DOC_URL,
                        "rules": [
                            {
                                "id": rule.code,
                                "name": rule.name,
                                "shortDescription": {"text": rule.summary},
                                "help": {"text": rule.fix},
                                "helpUri": f"{RULES_DOC_URL}#{rule.code.lower()}",
                                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


class _Paint:
    _CODES: ClassVar[dict[str, str]] = {"bold": "1", "dim": "2", "red": "31", "yellow": "33", "blue": "34"}

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, style: str, text: str) -> str:
        return f"\x1b[{self._CODES[style]}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("bold", text)

    def dim(self, text: str) -> str:
        return self._wrap("dim", text)

    def severity(self, text: str) -> str:
        """`text` (which starts with a severity's name) in that severity's color."""
        style = {"error": "red", "warning": "yellow", "info": "blue", "excepted": "dim"}[text.rstrip(":")]
        return self._wrap(style, text)
