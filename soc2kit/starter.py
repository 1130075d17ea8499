"""`soc2kit init`: a new compliance repository from the starter program, personalised, complete
and committed.

    init_program(target, InitOptions, today=None) -> InitResult
    starter_root() -> Path: the starter program that ships with soc2kit
    repository_files(options, program) -> {path: text}: what init writes beside the program

Beside the program, `init` writes what a repository needs to work on GitHub from its first push,
from the templates in `soc2kit/templates/` (package data): the policy portal's `mkdocs.yml` and a
tracked `docs/about.md` (an empty `docs/` is not kept by Git, and the portal cannot build without
it), the pull-request gate, the publication and the monthly evidence collection under
`.github/workflows/` (through the soc2kit GitHub Action pinned to this release; never an install
from the checkout), `.pre-commit-config.yaml`, `.gitattributes`, `.gitignore` and a README saying
how to work in the repository. Workflows and the pre-commit configuration go to the root of the
enclosing Git repository when the program is a subfolder of one (GitHub and pre-commit read them
only there). A file of these that already exists is left alone and reported, never overwritten.

The starter is package data (`soc2kit/starter_program/`). In a checkout its `soc2kit.yml`,
`policies/` and `controls/` are symbolic links to the repository's own program, so the program the
repository checks is the one `init` hands out and Git holds one copy; a wheel or sdist holds real
copies (tests/test_wheel.py builds one and runs `init` from it).

Nothing existing is ever overwritten: `init` stages the whole program in a temporary folder and
moves it into place only once everything is written.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import string
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from soc2kit import __version__, escaping
from soc2kit.editing import edit_front_matter, edit_yaml, plain_yaml
from soc2kit.errors import UsageError
from soc2kit.files import create_file
from soc2kit.layout import CONFIG_FILE, MARKDOWN_FOLDERS, PROGRAM_PATHS, REGISTERS, REGISTERS_FOLDER, SUBSERVICE_REGISTER
from soc2kit.line_endings import GITATTRIBUTES
from soc2kit.models import CATEGORIES
from soc2kit.rules.content import PLACEHOLDER
from soc2kit.schema_line import with_schema_line
from soc2kit.statements import keep_tested_by

_STARTER_ORGANIZATION = re.compile(r"Acme\s+Inc\.")
_STARTER_SYSTEM = re.compile(r"Acme\s+Platform")
STARTER_FOLDER = Path(__file__).resolve().parent / "starter_program"
TEMPLATES = Path(__file__).resolve().parent / "templates"
WORKFLOWS = ("soc2kit-check.yml", "soc2kit-publish.yml", "soc2kit-evidence.yml", "soc2kit-collect.yml")
SYSTEM_PLACEHOLDER = f"{PLACEHOLDER}: name the system the audit covers"
"""`soc2kit.yml`'s system name when none was given: `soc2kit check` warns about it (SK022)."""
DRAFTS_RULE = "policy-not-approved"
REPORTS_RULE = "subservice-report-missing"
"""The rule a new program sets to `warning` while its starter policies are drafts (see render_config)."""
STARTER_PARTS = (CONFIG_FILE, *MARKDOWN_FOLDERS)


def starter_root() -> Path:
    """The starter program's folder. Raises UsageError when this installation lacks it: an `init`
    that quietly created an empty program would look like success."""
    missing = [name for name in STARTER_PARTS if not (STARTER_FOLDER / name).exists()]
    if missing:
        raise UsageError(
            f"this soc2kit installation has no starter program ({', '.join(missing)} missing in {STARTER_FOLDER}); "
            "reinstall soc2kit from a complete wheel or checkout"
        )
    return STARTER_FOLDER


@dataclass(frozen=True)
class InitOptions:
    organization: str = "Example Inc."
    system: str | None = None
    """None: `soc2kit.yml` gets SYSTEM_PLACEHOLDER, which `check` reports until a person names the system."""
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
    written: list[Path] = field(default_factory=list)
    """The repository's files written beside the program (workflows, mkdocs.yml, README, ...)."""
    kept: list[Path] = field(default_factory=list)
    """Those files that already existed: left alone, never overwritten."""


def validate_init(options: InitOptions, *, today: date) -> InitOptions:
    """Check the options before anything is written; fill the defaults. Raises UsageError."""
    _check_name("--org", options.organization)
    _check_name("--system", options.system)
    unknown = [c for c in options.categories if c not in CATEGORIES]
    if unknown:
        raise UsageError(
            f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; choose from {', '.join(CATEGORIES)}"
        )
    categories = tuple(dict.fromkeys(("security", *options.categories)))
    # A blank name is no name: the placeholder, never an empty `system.name` that reads as given.
    options = _replace(options, system=(options.system or "").strip() or None)
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
    source = starter_root()
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise UsageError("exists and is not a folder", path=target)
    existing = sorted(p.name for p in target.iterdir()) if target.is_dir() else []
    if (target / "soc2kit.yml").exists():
        raise UsageError("already holds a soc2kit program (soc2kit.yml); nothing was written", path=target)
    if existing and not options.force:
        raise UsageError("is not empty; use --force to add a program beside what is there", path=target)
    clashes = [name for name in PROGRAM_PATHS if os.path.lexists(target / name)]
    registers = target / REGISTERS_FOLDER
    if os.path.lexists(registers) and (registers.is_symlink() or not registers.is_dir()):
        clashes.append(REGISTERS_FOLDER)  # the starter's registers go into a real folder only
    if clashes:
        raise UsageError(f"already has {', '.join(clashes)}; nothing was written", path=target)
    if options.git:
        _require_git_identity(target)

    top = _existing_git_root(target) or target
    program = target.relative_to(top).as_posix()
    _refuse_links_out(top, repository_files(options, program))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".soc2kit-init-", dir=target.parent))
    try:
        result = _build(source, staging, options)
        target.mkdir(exist_ok=True)
        for item in sorted(staging.iterdir()):
            if item.name == REGISTERS_FOLDER and (target / item.name).is_dir():
                # A registers folder may already hold the change exceptions register: the starter's
                # registers go beside it (none of their names is there, checked above).
                for register in sorted(item.iterdir()):
                    register.rename(target / item.name / register.name)
            else:
                item.rename(target / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.root = target
    for relpath, text in repository_files(options, program).items():
        path = top / relpath
        if os.path.lexists(path):
            result.kept.append(path)
        else:
            create_file(path, text)
            result.written.append(path)
    if options.git:
        result.repository, result.commit = _first_commit(target, options, result.written)
    return result


def _refuse_links_out(top: Path, files: dict[str, str]) -> None:
    """UsageError when a folder a repository file would be written in (`.github`, `docs`, ...) is a
    symbolic link: writing there would write wherever it points, outside the folder."""
    for relpath in files:
        parent = top
        for part in Path(relpath).parts[:-1]:
            parent = parent / part
            if parent.is_symlink():
                raise UsageError(
                    f"{part} is a symbolic link; init writes {relpath} only in a real folder, nothing was written", path=parent
                )


_NAME_LIMIT = 200
"""Characters an organization or system name may have: it titles the portal, the README and every page."""


def _check_name(option: str, value: str | None) -> None:
    if value is None:
        return
    if len(value) > _NAME_LIMIT:
        raise UsageError(f"{option} is {len(value):,} characters long; give at most {_NAME_LIMIT}")
    # Control and format characters (escapes, newlines, bidirectional overrides) would rewrite a terminal
    # or a page, or hide what a reviewer reads: a name is one plain line.
    odd = next((char for char in value if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")), None)
    if odd is not None:
        raise UsageError(f"{option} holds the control character U+{ord(odd):04X}; give a name on one plain line")


def _build(source: Path, out: Path, options: InitOptions) -> InitResult:
    from soc2kit.program import read_program

    starter = read_program(source, use_cache=False)
    if not starter.policies or not starter.controls:
        raise UsageError(
            f"the starter program in {source} has {len(starter.policies)} policies and {len(starter.controls)} controls; "
            "reinstall soc2kit from a complete wheel or checkout"
        )
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
        # A statement names only the controls the new program holds (init keeps those in scope).
        text = keep_tested_by(text, {control.id for control in kept})
        drafted = edit_front_matter(text, lambda data: _as_draft(data, start), path=relpath)
        create_file(out / relpath, with_schema_line(drafted, "policy"))
        result.policies += 1
    for control in kept:
        relpath = starter.source("control", control.id).path
        personalised = _personalise((source / relpath).read_text(encoding="utf-8"), options)
        create_file(out / relpath, with_schema_line(personalised, "control"))
        result.controls += 1
    for name in starter.system_parts:
        relpath = starter.source("system-part", name).path
        personalised = _personalise((source / relpath).read_text(encoding="utf-8"), options)
        # The starter describes Acme's system: until the new company's owners check each part against
        # their own system, it is unreviewed, and `check` says so (SK704) for every part.
        unreviewed = edit_front_matter(personalised, lambda data: data.pop("last_reviewed", None), path=relpath)
        create_file(out / relpath, with_schema_line(unreviewed, "system-part"))
    for relpath, register in REGISTERS.items():
        # The names land only inside the registers' folded (`>-`) text blocks, where any one-line
        # name is plain text: no key, comment or quote can start there.
        if (source / relpath).is_file():
            personalised = _personalise((source / relpath).read_text(encoding="utf-8"), options)
            if relpath == SUBSERVICE_REGISTER:
                # The starter's report dates are Acme's: a new company records the reports it obtained
                # itself, and until it does `check` says so for each carve-out (SK711, a warning while
                # adopting: see `render_config`).
                personalised = edit_yaml(personalised, _drop_reports)
            create_file(out / relpath, with_schema_line(personalised, register.kind))
    create_file(out / "evidence" / ".gitkeep", "")
    create_file(out / "soc2kit.yml", with_schema_line(render_config(options), "config"))
    return result


def _existing_git_root(target: Path) -> Path | None:
    from soc2kit.layout import git_root

    return git_root(_existing_parent(target))


class _Template(string.Template):
    # Workflows are full of `${{ ... }}` and shell `$VAR`: a delimiter neither uses.
    delimiter = "@@"


def repository_files(options: InitOptions, program: str = ".") -> dict[str, str]:
    """What `init` writes beside the program, by path relative to the repository root; `program` is
    the program folder relative to that root (`.` for a repository of its own). Values from the
    options are escaped for where they land (YAML scalars, Markdown text)."""
    prefix = "" if program == "." else f"{program}/"
    values = {
        "version": __version__,
        "organization_md": escaping.markdown(options.organization),
        # A JSON string is a YAML double-quoted scalar: any name lands as text, never as YAML.
        "site_name_yaml": json.dumps(f"{options.organization} policy portal"),
        "program_yaml": json.dumps(program),
        "site_yaml": json.dumps(f"{prefix}site"),
        "trail_yaml": json.dumps(f"{prefix}audit-trail.jsonl*"),
        "hook_args_yaml": json.dumps([] if program == "." else [program]),
    }

    def render(name: str) -> str:
        return _Template((TEMPLATES / name).read_text(encoding="utf-8")).substitute(values)

    files = {
        f"{prefix}mkdocs.yml": render("mkdocs.yml"),
        f"{prefix}docs/about.md": render("about.md"),
        f"{prefix}README.md": render("README.md"),
        f"{prefix}.gitignore": "site/\naudit-trail.jsonl*\n",
        f"{prefix}.gitattributes": GITATTRIBUTES,
        ".pre-commit-config.yaml": render("pre-commit-config.yaml"),
    }
    for name in WORKFLOWS:
        files[f".github/workflows/{name}"] = render(f"workflows/{name}")
    return files


def _as_draft(front_matter: Any, start: date) -> None:
    # The company adopting the starter has not approved these policies yet: they start as drafts.
    front_matter["status"] = "draft"
    front_matter["version"] = "0.1"
    front_matter["effective"] = start
    front_matter["last_reviewed"] = start


def _personalise(text: str, options: InitOptions) -> str:
    # The starter wraps its prose, so a name may be split across a line break. Without a system
    # name the prose says "the <organization> system": a placeholder there would fail check (SK014).
    system = options.system or f"{options.organization} system"

    def named(value: str) -> str:
        value = _STARTER_ORGANIZATION.sub(lambda _: options.organization, value)
        return _STARTER_SYSTEM.sub(lambda _: system, value)

    end = text.find("\n---\n", 3) if text.startswith("---\n") else -1
    if end < 0:
        return named(text)
    front_matter, body = text[: end + 5], text[end + 5 :]
    if named(front_matter) != front_matter:
        # In the front matter a name is part of a YAML value: spliced in as text, `A: B` or a line
        # break would end the value or add a key. The YAML emitter quotes it as its value needs.
        front_matter = edit_front_matter(front_matter, lambda data: _rename_values(data, named))
    return front_matter + named(body)


def _rename_values(node: Any, named: Callable[[str], str]) -> None:
    """Every string value in `node` (a ruamel.yaml mapping or sequence) passed through `named`,
    keeping each value's quoting style."""
    keys = node.keys() if isinstance(node, dict) else range(len(node))
    for key in keys:
        value = node[key]
        if isinstance(value, str):
            renamed = named(value)
            if renamed != value:
                node[key] = renamed if type(value) is str else type(value)(renamed)
        elif isinstance(value, (dict, list)):
            _rename_values(value, named)


AUDIT_TYPES_COMMENT = (
    "\nThe examination. type1 (with as_of): the auditor tests the design of the controls as of one date;\n"
    "each needs an approved policy in effect, an owner, a described procedure and a design record\n"
    "(an evidence record with `purpose: design`: walkthrough notes, a configuration screenshot); no\n"
    "evidence windows are demanded. type2 (with period: {start, end}, 3 to 12 months): the same design,\n"
    "plus evidence that each control operated in every window of its frequency over the period.\n"
    "A first audit is often a Type I followed by a Type II; the design records carry forward."
)
"""Why a program picks Type I or Type II, written above `audit:` in a new soc2kit.yml (docs/readiness.md says more)."""


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
    config["system"] = CommentedMap(name=options.system or SYSTEM_PLACEHOLDER, description="")
    if options.system is None:
        config.yaml_set_comment_before_after_key(
            "system", before="The system the audit covers (the product or service): `soc2kit check` warns until it is named."
        )
    config["audit"] = audit
    config.yaml_set_comment_before_after_key("audit", before=AUDIT_TYPES_COMMENT)
    config["scope"] = CommentedMap(categories=categories, exclusions=CommentedSeq())
    config.yaml_set_comment_before_after_key(
        "scope", before="\nWhat the audit covers. Security is always in scope; each exclusion needs a reason."
    )
    config["rules"] = CommentedMap({DRAFTS_RULE: "warning", REPORTS_RULE: "warning"})
    config.yaml_set_comment_before_after_key(
        "rules",
        before="\nWhile you adopt the program, two findings are warnings: the starter's policies are drafts\n"
        "until their approvers approve them (SK304), and no subservice organization's own SOC report is\n"
        "recorded yet (SK711). Remove each line once it no longer applies, so that a policy going back\n"
        "to draft, or a carve-out without a report, fails the gate.",
    )
    config.yaml_set_start_comment(
        "soc2kit program configuration (see the soc2kit README for every key).\n"
        "Check it with `soc2kit check`; an exclusion looks like:\n"
        "  - {criterion: P3.2, reason: The system collects no personal information that needs explicit consent.}\n"
        "A criterion a provider meets for you (physical access at the cloud provider) is a carve-out, not an\n"
        "exclusion: list the provider in registers/subservice-organizations.yml."
    )
    stream = io.StringIO()
    plain_yaml().dump(config, stream)
    return stream.getvalue()


def _require_git_identity(target: Path) -> None:
    from soc2kit.git import GitError, text

    for key in ("user.name", "user.email"):
        try:
            value = text(["config", key], cwd=_existing_parent(target))
        except GitError as exc:
            if exc.status is None:
                raise UsageError(f"{exc.detail}; install Git, or pass --no-git") from None
            value = ""
        if not value.strip():
            raise UsageError(
                f"git has no {key} set, so the first commit cannot be made; set it (git config --global {key} ...) or pass --no-git"
            )


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _first_commit(target: Path, options: InitOptions, written: list[Path]) -> tuple[Path, str]:
    """Commit the new program to the repository that holds `target`, else to a new one in `target`.

    A program in a subfolder of a repository (a monorepo) gets no nested `.git`. Only the program's
    own files are committed (`--only`): changes the user had staged in that repository stay staged
    and out of this commit."""
    from soc2kit.git import GitError, run, text
    from soc2kit.layout import git_root

    top = git_root(target) or target.resolve()
    parts = [str(target / p) for p in PROGRAM_PATHS if (target / p).exists()]
    parts += [str(path) for path in written]
    try:
        if not (top / ".git").exists():
            run(["init", "-q", "--initial-branch=main", str(target)], cwd=target)
        run(["add", "--", *parts], cwd=top)
        run(
            [
                "commit",
                "-q",
                "-m",
                f"Start the SOC 2 program for {options.organization}",
                "-m",
                "Created by soc2kit init from the starter program.",
                "--only",
                "--",
                *parts,
            ],
            cwd=top,
        )
        return top, text(["rev-parse", "HEAD"], cwd=top).strip()
    except GitError as exc:
        raise UsageError(
            f"the program was written, but git could not commit it in {top} ({exc.detail}); "
            "commit it yourself, or run init with --no-git",
            path=target,
        ) from None


def _drop_reports(register: Any) -> None:
    for organization in register.get("subservice_organizations") or ():
        organization.pop("report", None)
