"""Create programs and documents: `soc2kit init` (a new repository from the starter program) and
`soc2kit new` (one policy, control or evidence record with the next free ID).

Nothing existing is ever overwritten: new files are created exclusively, and `init` stages the
whole program in a temporary folder and moves it into place only once everything is written.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from soc2kit.catalog import load_catalog
from soc2kit.documents import Document, parse_text
from soc2kit.editing import edit_front_matter, plain_yaml
from soc2kit.errors import UsageError
from soc2kit.files import create_file
from soc2kit.line_endings import GITATTRIBUTES
from soc2kit.models import CATEGORIES, CONTROL_ID, FREQUENCIES

_STARTER_ORGANIZATION = re.compile(r"Acme\s+Inc\.")
_STARTER_SYSTEM = re.compile(r"Acme\s+Platform")
PROGRAM_PARTS = ("soc2kit.yml", "policies", "controls", "evidence")
SETTINGS_FILES = (".gitignore", ".gitattributes")
"""Written by `init` unless the folder already has one (the user's own is kept, never overwritten)."""


def starter_root() -> Path:
    """The starter program: packaged as `soc2kit/starter/` in a wheel, the repository itself in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "starter"
    return packaged if (packaged / "policies").is_dir() else here.parent


@dataclass(frozen=True)
class InitOptions:
    organization: str = "Example Inc."
    system: str = "Example Platform"
    categories: tuple[str, ...] = ("security",)
    audit_type: str = "type1"
    as_of: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    force: bool = False
    git: bool = True


@dataclass
class InitResult:
    root: Path
    policies: int = 0
    controls: int = 0
    dropped_controls: list[str] = field(default_factory=list)
    dropped_policies: list[str] = field(default_factory=list)
    commit: str | None = None
    repository: Path | None = None
    """Where the first commit went: `root`, or the enclosing repository of a program in a subfolder."""


def validate_init(options: InitOptions, *, today: date) -> InitOptions:
    """Check the options before anything is written; fill the defaults. Raises UsageError."""
    unknown = [c for c in options.categories if c not in CATEGORIES]
    if unknown:
        raise UsageError(
            f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; choose from {', '.join(CATEGORIES)}"
        )
    categories = tuple(dict.fromkeys(("security", *options.categories)))
    if options.audit_type == "type1":
        if options.period_start or options.period_end:
            raise UsageError("--period-start/--period-end are for a type2 audit; a type1 audit takes --as-of")
        return _replace(options, categories=categories, as_of=options.as_of or today)
    if options.audit_type != "type2":
        raise UsageError(f"unknown audit type '{options.audit_type}'; use type1 or type2")
    if options.as_of:
        raise UsageError("--as-of is for a type1 audit; a type2 audit takes --period-start and --period-end")
    if options.period_start is None or options.period_end is None:
        missing = "--period-start" if options.period_start is None else "--period-end"
        raise UsageError(f"a type2 audit needs {missing} (the observation period, for example 2026-01-01..2026-06-30)")
    if options.period_end < options.period_start:
        raise UsageError(f"the period ends ({options.period_end}) before it starts ({options.period_start})")
    return _replace(options, categories=categories)


def _replace(options: InitOptions, **changes: object) -> InitOptions:
    from dataclasses import replace

    return replace(options, **changes)  # type: ignore[arg-type]


def init_program(target: Path, options: InitOptions, *, today: date | None = None) -> InitResult:
    """Create a new program in `target` from the starter program. Raises UsageError, writing nothing."""
    options = validate_init(options, today=today or date.today())
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise UsageError("exists and is not a folder", path=target)
    existing = sorted(p.name for p in target.iterdir()) if target.is_dir() else []
    if (target / "soc2kit.yml").exists():
        raise UsageError("already holds a soc2kit program (soc2kit.yml); nothing was written", path=target)
    if existing and not options.force:
        raise UsageError("is not empty; use --force to add a program beside what is there", path=target)
    clashes = [name for name in PROGRAM_PARTS if name in existing]
    if clashes:
        raise UsageError(f"already has {', '.join(clashes)}; nothing was written", path=target)
    if options.git:
        _require_git_identity(target)

    source = starter_root()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".soc2kit-init-", dir=target.parent))
    try:
        result = _build(source, staging, options)
        target.mkdir(exist_ok=True)
        for item in sorted(staging.iterdir()):
            if not (target / item.name).exists():  # only a user's own SETTINGS_FILES can be there; keep them
                item.rename(target / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.root = target
    if options.git:
        result.repository, result.commit = _first_commit(target, options)
    return result


def _build(source: Path, out: Path, options: InitOptions) -> InitResult:
    from soc2kit.program import load_program

    starter = load_program(source, use_cache=False)
    in_scope = {c.id for c in starter.catalog.criteria if c.category in options.categories}
    result = InitResult(root=out)
    kept = []
    for control in starter.controls.values():
        if any(cid in in_scope for cid in control.criteria):
            kept.append(control)
        else:
            result.dropped_controls.append(control.id)
    used_policies = {pid for control in kept for pid in control.policies}
    start = options.as_of or options.period_start or date.today()
    for policy in starter.policies.values():
        if policy.id not in used_policies:
            result.dropped_policies.append(policy.id)
            continue
        relpath = starter.source("policy", policy.id).path
        text = _personalise((source / relpath).read_text(encoding="utf-8"), options)
        create_file(out / relpath, edit_front_matter(text, lambda data: _as_draft(data, start), path=relpath))
        result.policies += 1
    for control in kept:
        relpath = starter.source("control", control.id).path
        create_file(out / relpath, _personalise((source / relpath).read_text(encoding="utf-8"), options))
        result.controls += 1
    create_file(out / "evidence" / ".gitkeep", "")
    create_file(out / "soc2kit.yml", render_config(options))
    create_file(out / ".gitignore", "site/\n")
    create_file(out / ".gitattributes", GITATTRIBUTES)
    return result


def _as_draft(front_matter: Any, start: date) -> None:
    # The company adopting the starter has not approved these policies yet: they start as drafts.
    front_matter["status"] = "draft"
    front_matter["version"] = "0.1"
    front_matter["effective"] = start
    front_matter["last_reviewed"] = start


def _personalise(text: str, options: InitOptions) -> str:
    # The starter wraps its prose, so a name may be split across a line break.
    text = _STARTER_ORGANIZATION.sub(lambda _: options.organization, text)
    return _STARTER_SYSTEM.sub(lambda _: options.system, text)


def render_config(options: InitOptions) -> str:
    """`soc2kit.yml` for a new program, with comments, through ruamel.yaml so values are quoted right."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    audit = CommentedMap(type=options.audit_type)
    if options.audit_type == "type1":
        audit["as_of"] = options.as_of
    else:
        period = CommentedMap(start=options.period_start, end=options.period_end)
        period.fa.set_flow_style()
        audit["period"] = period
    audit["timezone"] = "UTC"
    categories = CommentedSeq(options.categories)
    categories.fa.set_flow_style()
    config = CommentedMap()
    config["organization"] = options.organization
    config["system"] = CommentedMap(name=options.system, description="")
    config["audit"] = audit
    config["scope"] = CommentedMap(categories=categories, exclusions=CommentedSeq())
    config.yaml_set_comment_before_after_key(
        "scope", before="\nWhat the audit covers. Security is always in scope; each exclusion needs a reason."
    )
    config.yaml_set_start_comment(
        "soc2kit program configuration (see the soc2kit README for every key).\n"
        "Check it with `soc2kit check`; an exclusion looks like:\n"
        "  - {criterion: CC6.4, reason: No company-run facilities; the cloud provider's SOC 2 report covers it.}"
    )
    stream = io.StringIO()
    plain_yaml().dump(config, stream)
    return stream.getvalue()


def _require_git_identity(target: Path) -> None:
    import subprocess

    for key in ("user.name", "user.email"):
        found = subprocess.run(["git", "config", key], capture_output=True, text=True, check=False, cwd=_existing_parent(target))
        if found.returncode != 0 or not found.stdout.strip():
            raise UsageError(
                f"git has no {key} set, so the first commit cannot be made; set it (git config --global {key} ...) or pass --no-git"
            )


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _first_commit(target: Path, options: InitOptions) -> tuple[Path, str]:
    """Commit the new program to the repository that holds `target`, else to a new one in `target`.

    A program in a subfolder of a repository (a monorepo) gets no nested `.git`. Only the program's
    own files are committed (`--only`): changes the user had staged in that repository stay staged
    and out of this commit."""
    import git

    from soc2kit.layout import git_root

    top = git_root(target)
    repo = git.Repo(top) if top is not None else git.Repo.init(target, initial_branch="main")
    parts = [str(target / p) for p in (*PROGRAM_PARTS, *SETTINGS_FILES) if (target / p).exists()]
    try:
        repo.git.add("--", *parts)
        repo.git.commit(
            "-m",
            f"Start the SOC 2 program for {options.organization}",
            "-m",
            "Created by soc2kit init from the starter program.",
            "--only",
            "--",
            *parts,
        )
    except git.GitCommandError as exc:
        detail = (exc.stderr or "").strip().removeprefix("stderr: ").strip("'").strip() or str(exc)
        raise UsageError(
            f"the program was written, but git could not commit it in {repo.working_tree_dir} ({detail}); "
            "commit it yourself, or run init with --no-git",
            path=target,
        ) from None
    return Path(str(repo.working_tree_dir)), str(repo.head.commit.hexsha)


# -- soc2kit new ---------------------------------------------------------------


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "untitled"


def next_control_id(existing: Iterable[str], prefix: str) -> str:
    prefix = prefix.upper().rstrip("-")
    if not re.fullmatch(r"[A-Z][A-Z0-9]{1,5}", prefix):
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
title: {title}
owner: {owner}
approver: {approver}
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
title: {title}
owner: {owner}
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
# Evidence record: list each file below with its sha256, or use `soc2kit evidence add`.
id: {id}
control: {control}
requirement: {requirement}
collected: {collected}
collector: {collector}
files: []
"""


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
    from soc2kit.program import load_program

    program = load_program(root)
    known = list(program.policies) + [i for k, i in program.invalid_ids if k == "policy"]
    policy_id = spec.policy_id or policy_id_for(spec.title, known)
    if not re.fullmatch(POLICY_ID, policy_id):
        raise UsageError(f"policy ID '{policy_id}' has the wrong form; write it like POL-AC")
    if policy_id.upper() in {k.upper() for k in known}:
        raise UsageError(f"policy {policy_id} already exists")
    text = POLICY_TEMPLATE.format(
        id=policy_id, title=spec.title, owner=spec.owner, approver=spec.approver, today=today.isoformat()
    )
    verify_template(text, "policy")
    path = root / "policies" / f"{slugify(spec.title.removesuffix(' Policy'))}.md"
    create_file(path, text)
    return path


def new_control(root: Path, spec: NewControl) -> Path:
    from soc2kit.program import load_program

    program = load_program(root)
    criteria = known_criteria(spec.criteria)
    if not criteria:
        raise UsageError("a control needs at least one criterion (--criteria CC6.1,CC6.2)")
    missing = [p for p in spec.policies if p not in program.policies]
    if missing:
        raise UsageError(f"unknown policies: {', '.join(missing)}")
    known = list(program.controls) + [i for k, i in program.invalid_ids if k == "control"]
    control_id = next_control_id(known, spec.prefix)
    text = CONTROL_TEMPLATE.format(
        id=control_id,
        title=spec.title,
        owner=spec.owner,
        criteria=", ".join(criteria),
        policies=", ".join(spec.policies),
        frequency=frequency(spec.frequency),
        kind=spec.kind,
        automation=spec.automation,
        requirement=slugify(spec.title)[:40].strip("-") or "evidence",
    )
    verify_template(text, "control")
    path = root / "controls" / f"{control_id}.md"
    create_file(path, text)
    return path


def new_evidence(root: Path, control_id: str, *, requirement: str | None, collected: date, collector: str) -> Path:
    from soc2kit.program import load_program

    program = load_program(root)
    control = program.controls.get(control_id)
    if control is None:
        raise UsageError(f"unknown control '{control_id}'")
    if not control.evidence:
        raise UsageError(f"control {control_id} defines no evidence requirement")
    if requirement is None:
        requirement = control.evidence[0].id
    elif control.requirement(requirement) is None:
        raise UsageError(
            f"control {control_id} has no requirement '{requirement}'; it has {', '.join(r.id for r in control.evidence)}"
        )
    stem = f"{collected.isoformat()}-{requirement}"
    record_id = f"EV-{control_id}-{collected.strftime('%Y%m%d')}-{requirement.upper()}"
    n = 2
    while record_id in program.evidence or (root / "evidence" / control_id / f"{stem}.yaml").exists():
        stem, record_id = (
            f"{collected.isoformat()}-{requirement}-{n}",
            f"EV-{control_id}-{collected.strftime('%Y%m%d')}-{requirement.upper()}-{n}",
        )
        n += 1
    text = EVIDENCE_TEMPLATE.format(
        id=record_id, control=control_id, requirement=requirement, collected=collected.isoformat(), collector=collector
    )
    verify_template(text, "evidence")
    path = root / "evidence" / control_id / f"{stem}.yaml"
    create_file(path, text)
    return path


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
