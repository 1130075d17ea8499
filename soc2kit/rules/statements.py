"""SK306-SK309: each policy statement names the controls that test it, those controls exist and
carry out the policy, and the limits they state agree with the statement's."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.statements import TESTED_BY, Limit, Statement, disagreements

if TYPE_CHECKING:
    from soc2kit.documents import Document
    from soc2kit.models import Policy
    from soc2kit.program import Program

_UNTESTED_HINT = f"end it with a sentence like `{TESTED_BY} AC-06, AC-09.` naming the controls an auditor tests it with"


def check(program: Program) -> Iterator[Diagnostic]:
    read = [
        (policy, doc, doc.statements)
        for policy in program.policies.values()
        if policy.status != "retired"
        for doc in (program.source("policy", policy.id),)
    ]
    # Naming the testing controls is a convention a program adopts: until one statement does, a program
    # written without it is not told so once per policy.
    adopted = any(statement.tested_by is not None for _, _, statements in read for statement in statements)
    suggested: dict[str, str] = {}
    for policy, doc, statements in read:
        if adopted:
            yield from _untested(policy, doc, statements)
        for statement in statements:
            yield from _named_controls(program, policy, doc, statement, suggested)
            if statement.limits:
                yield from _disagreements(program, policy, doc, statement)


def _untested(policy: Policy, doc: Document, statements: tuple[Statement, ...]) -> Iterator[Diagnostic]:
    untested = [s for s in statements if not s.controls and not s.unreadable]
    if not untested:
        return
    if len(untested) == len(statements) and not any(s.tested_by is not None for s in statements):
        # A policy written before statements named their controls: one finding, not one per statement.
        none = "its only statement names" if len(statements) == 1 else f"none of its {len(statements)} statements names"
        yield diagnostic(
            "SK306", doc.path, statements[0].line, f"policy {policy.id}: {none} a control that tests it", _UNTESTED_HINT
        )
        return
    for statement in untested:
        if statement.tested_by is not None:
            why = f"its `{TESTED_BY}` sentence names no control"
        elif TESTED_BY.lower() in statement.text.lower():
            why = f"`{TESTED_BY}` is not its closing sentence"
        else:
            why = "it names no control that tests it"
        yield diagnostic(
            "SK306",
            doc.path,
            statement.tested_by_line or statement.line,
            f"policy {policy.id} statement {statement.number}: {why}",
            _UNTESTED_HINT,
        )


def _named_controls(
    program: Program, policy: Policy, doc: Document, statement: Statement, suggested: dict[str, str]
) -> Iterator[Diagnostic]:
    where = f"policy {policy.id} statement {statement.number}"
    if statement.stray_tested_by_line:
        yield diagnostic(
            "SK307",
            doc.path,
            statement.stray_tested_by_line,
            f"{where} has a `{TESTED_BY}` sentence before its closing one (line {statement.tested_by_line}); "
            "only the closing one is read, so the controls named here count for nothing",
            "name every control that tests the statement in one closing sentence, such as `Tested by: AC-06, AC-09.`",
        )
    for name in statement.unreadable:
        yield diagnostic(
            "SK307",
            doc.path,
            statement.tested_by_line,
            f"{where}: `{TESTED_BY}` names '{_short(name)}', which is not a control ID",
            "write control IDs separated by commas, such as `Tested by: AC-06, AC-09.`",
        )
    for control_id in statement.controls:
        control = program.controls.get(control_id)
        line = statement.control_line(control_id)
        if control is None:
            if ("control", control_id) in program.invalid_ids:
                continue  # reading already reported that control
            yield diagnostic(
                "SK307",
                doc.path,
                line,
                f"{where} is tested by control {control_id}, which does not exist",
                _suggest(control_id, program, suggested),
            )
        elif policy.id not in control.policies:
            control_doc = program.source("control", control_id)
            yield diagnostic(
                "SK308",
                doc.path,
                line,
                f"{where} is tested by control {control_id}, which does not list {policy.id} under `policies` "
                f"({control_doc.path}:{control_doc.line_of('policies')})",
                f"add {policy.id} to the `policies` of {control_id}, or name a control that carries out {policy.id}",
            )


def _disagreements(program: Program, policy: Policy, doc: Document, statement: Statement) -> Iterator[Diagnostic]:
    """A statement's controls together restate it: a statement holds several duties and each of its
    controls may test one, so a kind of limit disagrees only when no control restates any value of it."""
    restated: dict[str, tuple[Limit, ...]] = {
        control_id: program.source("control", control_id).limits
        for control_id in statement.controls
        if control_id in program.controls
    }
    every = [limit for limits in restated.values() for limit in limits]
    for found in disagreements(statement.limits, every):
        for control_id, limits in restated.items():
            theirs = tuple(limit for limit in limits if limit.kind == found.kind)
            if not theirs:
                continue
            control_path = program.source("control", control_id).path
            yield diagnostic(
                "SK309",
                doc.path,
                found.stated[0].line,
                f"policy {policy.id} statement {statement.number} says {_values(found.stated)} "
                f"({doc.path}:{found.stated[0].line}), but control {control_id}, which tests it, says {_values(theirs)} "
                f"({control_path}:{theirs[0].line})",
                "make the two agree: correct the policy statement or the control, whichever is wrong",
            )


def _values(limits: tuple[Limit, ...]) -> str:
    return " and ".join(f"'{text}'" for text in dict.fromkeys(limit.text for limit in limits))


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


_SUGGESTIONS = 50
"""Unknown control IDs per check that get a "did you mean" hint: each costs a fuzzy match against
every control, and a policy naming thousands of unknown IDs must not make the check slow."""


def _suggest(control_id: str, program: Program, suggested: dict[str, str]) -> str:
    if control_id not in suggested and len(suggested) < _SUGGESTIONS:
        close = difflib.get_close_matches(control_id, list(program.controls), n=1, cutoff=0.6)
        suggested[control_id] = f"did you mean '{close[0]}'?" if close else ""
    return suggested.get(control_id, "")
