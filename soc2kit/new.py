"""`soc2kit new`: one policy, control or evidence record from a template, with the next free ID.

    new_policy(root, NewPolicy, today=) / new_control(root, NewControl) / new_evidence(root, control, ...)
    free_record_name(program, control, requirement, collected) -> (record ID, record folder)
        the one way an evidence record is named, by `new evidence` and by `evidence add` alike

Nothing existing is ever overwritten: new files are created exclusively. Every value that lands in
a template's YAML is a YAML scalar (escaping.yaml_scalar), so a title like `A: B` or one holding a
line break is that text and never a key; in the Markdown body it is one line. Each starts with the schema
line (soc2kit.schema_line) that lets a YAML-language-server editor complete and validate its keys. Every generated document is
parsed and validated before it is written, so a template bug never hands the user a broken file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from soc2kit.catalog import load_catalog
from soc2kit.documents import Document, parse_text
from soc2kit.errors import UsageError
from soc2kit.escaping import terminal, yaml_scalar
from soc2kit.files import create_file
from soc2kit.layout import EVIDENCE_DIR, RECORD_NAME
from soc2kit.models import CONTROL_ID, CONTROL_PREFIX, FREQUENCIES
from soc2kit.schema_line import with_schema_line

if TYPE_CHECKING:
    from soc2kit.program import Program


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "untitled"


def next_control_id(existing: Iterable[str], prefix: str) -> str:
    prefix = prefix.upper().rstrip("-")
    if not re.fullmatch(CONTROL_PREFIX, prefix):
        raise UsageError(f"control prefix '{prefix}' must be 2 to 6 upper-case letters or digits, like AC")
    numbers = [int(m.group(1)) for cid in existing if (m := re.fullmatch(rf"{prefix}-(\d+)", cid))]
    candidate = f"{prefix}-{max(numbers, default=0) + 1:02d}"
    assert re.fullmatch(CONTROL_ID, candidate)
    return candidate


def policy_id_for(title: str, existing: Iterable[str]) -> str:
    words = [w for w in re.findall(r"[A-Za-z0-9]+", title) if w.lower() not in {"policy", "and", "of", "the", "for", "a"}]
    stem = "POL-" + ("".join(w[0] for w in words).upper() if len(words) > 1 else (words[0][:6].upper() if words else "NEW"))
    taken = {pid.upper() for pid in existing}
    candidate, n = stem, 2
    while candidate in taken:
        candidate, n = f"{stem}-{n}", n + 1
    return candidate


POLICY_TEMPLATE = """\
---
id: {id}
title: {title_yaml}
owner: {owner_yaml}
approver: {approver_yaml}
status: draft
version: "0.1"
effective: {today}
last_reviewed: {today}
review_every: 12 months
---
# {title}

## Purpose

TODO(soc2kit): why this policy exists and what it protects.

## Scope

TODO(soc2kit): the systems, data and people it applies to.

## Roles and responsibilities

- **{owner}**: owns this policy and keeps it current.
- **{approver}**: approves this policy and its exceptions.

## Policy statements

1. TODO(soc2kit): a specific, testable statement using "must", with a number where one applies.

## Exceptions

TODO(soc2kit): how an exception is requested, who approves it and how long it lasts.

## Enforcement

TODO(soc2kit): what happens when the policy is not followed.

## Review

This policy is reviewed at least every 12 months and after any significant change.
"""

CONTROL_TEMPLATE = """\
---
id: {id}
title: {title_yaml}
owner: {owner_yaml}
criteria: [{criteria}]
policies: [{policies}]
frequency: {frequency}
kind: {kind}
automation: {automation}
evidence:
  - id: {requirement}
    description: "TODO(soc2kit): what artifact proves the control operated, and where it comes from"
---
# {title}

## Description

TODO(soc2kit): what is done, by whom, with which system.

## Test procedure

1. TODO(soc2kit): obtain the population for the period (what list, from which system).
2. TODO(soc2kit): select a sample and inspect the evidence for each item.
3. TODO(soc2kit): what would count as an exception (the control not operating).
"""

EVIDENCE_TEMPLATE = """\
# Evidence record: put its files in this folder and list each below with its sha256, or use `soc2kit evidence add`.
id: {id}
control: {control}
requirement: {requirement}
collected: {collected}
collector: {collector_yaml}
files: []
{purpose}"""


@dataclass(frozen=True)
class NewPolicy:
    title: str
    owner: str = "Head of Security"
    approver: str = "CTO"
    policy_id: str | None = None


@dataclass(frozen=True)
class NewControl:
    title: str
    prefix: str
    criteria: tuple[str, ...]
    policies: tuple[str, ...] = ()
    owner: str = "Head of Security"
    frequency: str = "quarterly"
    kind: str = "detective"
    automation: str = "manual"


def new_policy(root: Path, spec: NewPolicy, *, today: date) -> Path:
    from soc2kit.models import POLICY_ID
    from soc2kit.program import read_program

    program = read_program(root)
    known = list(program.policies) + [i for k, i in program.invalid_ids if k == "policy"]
    policy_id = spec.policy_id or policy_id_for(spec.title, known)
    if not re.fullmatch(POLICY_ID, policy_id):
        raise UsageError(f"policy ID '{policy_id}' has the wrong form; write it like POL-AC")
    if policy_id.upper() in {k.upper() for k in known}:
        raise UsageError(f"policy {policy_id} already exists")
    text = with_schema_line(
        POLICY_TEMPLATE.format(
            id=yaml_scalar(policy_id),
            title_yaml=yaml_scalar(spec.title),
            owner_yaml=yaml_scalar(spec.owner),
            approver_yaml=yaml_scalar(spec.approver),
            title=terminal(spec.title),
            owner=terminal(spec.owner),
            approver=terminal(spec.approver),
            today=today.isoformat(),
        ),
        "policy",
    )
    verify_template(text, "policy")
    path = root / "policies" / f"{slugify(spec.title.removesuffix(' Policy'))}.md"
    create_file(path, text)
    return path


def new_control(root: Path, spec: NewControl) -> Path:
    from soc2kit.program import read_program

    program = read_program(root)
    criteria = known_criteria(spec.criteria)
    if not criteria:
        raise UsageError("a control needs at least one criterion (--criteria CC6.1,CC6.2)")
    missing = [p for p in spec.policies if p not in program.policies]
    if missing:
        raise UsageError(f"unknown policies: {', '.join(missing)}")
    known = list(program.controls) + [i for k, i in program.invalid_ids if k == "control"]
    control_id = next_control_id(known, spec.prefix)
    text = CONTROL_TEMPLATE.format(
        id=yaml_scalar(control_id),
        title_yaml=yaml_scalar(spec.title),
        owner_yaml=yaml_scalar(spec.owner),
        title=terminal(spec.title),
        criteria=", ".join(map(yaml_scalar, criteria)),
        policies=", ".join(map(yaml_scalar, spec.policies)),
        frequency=yaml_scalar(frequency(spec.frequency)),
        kind=yaml_scalar(spec.kind),
        automation=yaml_scalar(spec.automation),
        requirement=yaml_scalar(slugify(spec.title)[:40].strip("-") or "evidence"),
    )
    text = with_schema_line(text, "control")
    verify_template(text, "control")
    path = root / "controls" / f"{control_id}.md"
    create_file(path, text)
    return path


def new_evidence(
    root: Path,
    control_id: str,
    *,
    requirement: str | None,
    collected: date,
    collector: str,
    purpose: Literal["operating", "design"] = "operating",
) -> Path:
    from soc2kit.program import read_program

    program = read_program(root)
    control = program.find_control(control_id)
    control_id = control.id
    if not control.evidence:
        raise UsageError(f"control {control_id} defines no evidence requirement")
    if requirement is None:
        requirement = control.evidence[0].id
    elif control.requirement(requirement) is None:
        raise UsageError(
            f"control {control_id} has no requirement '{requirement}'; it has {', '.join(r.id for r in control.evidence)}"
        )
    record_id, folder = free_record_name(program, control_id, requirement, collected)
    text = with_schema_line(
        EVIDENCE_TEMPLATE.format(
            id=yaml_scalar(record_id),
            control=yaml_scalar(control_id),
            requirement=yaml_scalar(requirement),
            collected=collected.isoformat(),
            collector_yaml=yaml_scalar(collector),
            purpose="" if purpose == "operating" else f"purpose: {purpose}\n",
        ),
        "evidence",
    )
    verify_template(text, "evidence")
    path = root / EVIDENCE_DIR / control_id / folder / RECORD_NAME
    create_file(path, text)
    return path


def free_record_name(program: Program, control_id: str, requirement: str, collected: date) -> tuple[str, str]:
    """The first record ID and record folder name that are both unused: a record is never overwritten."""
    taken = {i.upper() for i in program.evidence} | {i.upper() for kind, i in program.invalid_ids if kind == "evidence"}
    parent = program.root / EVIDENCE_DIR / control_id
    base_id = f"EV-{control_id}-{collected.strftime('%Y%m%d')}-{requirement.upper()}"
    base_folder = f"{collected.isoformat()}-{requirement}"
    for n in range(1, 1000):
        suffix = "" if n == 1 else f"-{n}"
        record_id, folder = base_id + suffix, base_folder + suffix
        if record_id.upper() not in taken and not os.path.lexists(parent / folder):
            return record_id, folder
    raise UsageError(f"control {control_id} already has 999 records for {requirement} on {collected}")


def verify_template(text: str, kind: str) -> None:
    """A generated document must parse and validate; a bug here would hand the user a broken file."""
    from soc2kit.models import DOCUMENT_MODELS
    from soc2kit.validation import validate

    doc = Document(path="(new)", kind=kind, markdown=kind != "evidence")
    parse_text(doc, text, markdown=kind != "evidence")
    if validate(doc, DOCUMENT_MODELS[kind]) is None:
        raise UsageError("; ".join(d.message for d in doc.diagnostics))


def known_criteria(criteria: Iterable[str]) -> list[str]:
    catalog = load_catalog()
    wanted = [c.strip() for c in criteria if c.strip()]
    unknown = [c for c in wanted if catalog.criterion(c) is None]
    if unknown:
        raise UsageError(f"unknown criteria: {', '.join(unknown)} (IDs look like CC6.1)")
    return wanted


def frequency(value: str) -> str:
    if value not in FREQUENCIES:
        raise UsageError(f"unknown frequency '{value}'; use one of {', '.join(FREQUENCIES)}")
    return value
