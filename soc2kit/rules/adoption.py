"""SK304, SK305: the policies controls rely on are approved, and in force when the audit starts.

Each problem is reported once, at the policy (the one file to fix), naming the controls that rely
on it; a policy no control relies on does not hold up the audit and is not reported here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic

if TYPE_CHECKING:
    from soc2kit.program import Program

_LISTED = 5


def check(program: Program) -> Iterator[Diagnostic]:
    start, what = _audit_start(program)
    for policy in program.policies.values():
        users = sorted(control.id for control in program.controls_by_policy.get(policy.id, ()))
        if not users:
            continue
        doc = program.source("policy", policy.id)
        relying = _relying(users)
        if policy.status != "approved":
            approver = policy.approver or "its approver"
            yield diagnostic(
                "SK304",
                doc.path,
                doc.line_of("status"),
                f"policy {policy.id} is {policy.status}, not approved, and {relying}",
                f"once {approver} has approved it, set `status: approved` (with `approver`, `version` and "
                "`effective`); until then an auditor finds no approved policy behind these controls",
            )
        if start is not None and policy.effective > start:
            yield diagnostic(
                "SK305",
                doc.path,
                doc.line_of("effective"),
                f"policy {policy.id} takes effect on {policy.effective}, after {what} ({start}), and {relying}",
                f"if it was in force on {start}, correct `effective`; otherwise the controls relying on it did not "
                f"operate under it before {policy.effective}, and the audit should start on or after that day",
            )


def _audit_start(program: Program) -> tuple[date | None, str]:
    """The day every relied-on policy must be in force by: the Type II period's start or the Type I as-of date."""
    if not program.config_ok:
        return None, ""
    audit = program.config.audit
    if audit.type == "type1":
        return audit.as_of, "the Type I as-of date"
    return (audit.period.start if audit.period is not None else None), "the audit period starts"


def _relying(users: list[str]) -> str:
    shown = ", ".join(users[:_LISTED]) + (f" and {len(users) - _LISTED} more" if len(users) > _LISTED else "")
    return f"control{'s' if len(users) > 1 else ''} {shown} rel{'y' if len(users) > 1 else 'ies'} on it"
