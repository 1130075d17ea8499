"""SK301-SK303: policies are approved by someone, reviewed on time, and carried out by controls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic

if TYPE_CHECKING:
    from soc2kit.program import Program


def check(program: Program) -> Iterator[Diagnostic]:
    for policy in program.policies.values():
        if policy.status == "retired":
            continue
        doc = program.source("policy", policy.id)
        if policy.status == "approved" and not policy.approver:
            yield diagnostic("SK301", doc.path, doc.line_of("status"), f"policy {policy.id} is approved but names no approver")
        due = policy.next_review()
        if due < program.today:
            reviewed = policy.last_reviewed or policy.effective
            yield diagnostic(
                "SK302",
                doc.path,
                doc.line_of("last_reviewed") if policy.last_reviewed else doc.line_of("effective"),
                f"policy {policy.id} was due for review on {due} (last reviewed {reviewed}, every {policy.review_every})",
            )
        if policy.status == "approved" and not program.controls_by_policy.get(policy.id):
            yield diagnostic("SK303", doc.path, doc.line_of("id"), f"policy {policy.id} is implemented by no control")
