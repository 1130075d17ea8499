"""Create programs and documents: `soc2kit init` (a new repository from the starter program) and
`soc2kit new` (one policy, control or evidence record with the next free ID).

Nothing existing is ever overwritten: new files are created exclusively, and `init` stages the
whole program in a temporary folder and moves it into place only once everything is written.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from soc2kit.catalog import load_catalog
from soc2kit.documents import Document, parse_text
from soc2kit.errors import UsageError
from soc2kit.models import CATEGORIES, CONTROL_ID, FREQUENCIES

STARTER_ORGANIZATION = "Acme Inc."
STARTER_SYSTEM = "Acme Platform"
PROGRAM_PARTS = ("soc2kit.yml", "policies", "controls", "evidence")


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
    evidence: int = 0
    dropped_controls: list[str] = field(default_factory=list)
    dropped_policies: list[str] = field(default_factory=list)
    commit: str | None = None


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
            item.rename(target / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.root = target
    if options.git:
        result.commit = _first_commit(target, options)
    return result


def _build(source: Path, out: Path, options: InitOptions) -> InitResult:
    from soc2kit.program import load_program

    starter = load_program(source, use_cache=False)
    catalog = starter.catalog
    in_scope = {c.id for c in catalog.criteria if c.category in options.categories}
    result = InitResult(root=out)
    kept_controls = []
    for control in starter.controls.values():
        if any(cid in in_scope for cid in control.criteria):
            kept_controls.append(control)
        else:
            result.dropped_controls.append(control.id)
    used_policies = {pid for control in kept_controls for pid in control.policies}
    for policy in starter.policies.values():
        if policy.id in used_policies:
            _copy_document(source, out, starter.source("policy", policy.id).path, options)
            result.policies += 1
        else:
            result.dropped_policies.append(policy.id)
    for control in kept_controls:
        _copy_document(source, out, starter.source("control", control.id).path, options)
        result.controls += 1
    kept_ids = {c.id for c in kept_controls}
    for record in starter.evidence.values():
        if record.control not in kept_ids:
            continue
        record_path = starter.source("evidence", record.id).path
        _copy_document(source, out, record_path, options)
        folder = Path(record_path).parent
        for item in record.files:
            relpath = (folder / item.path).as_posix()
            destination = out / relpath
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / relpath, destination)
        result.evidence += 1
    (out / "soc2kit.yml").write_text(render_config(options), encoding="utf-8")
    (out / ".gitignore").write_text(".soc2kit-cache/\nsite/\n", encoding="utf-8") if not (out / ".gitignore").exists() else None
    return result


def _copy_document(source: Path, out: Path, relpath: str, options: InitOptions) -> None:
    text = (source / relpath).read_text(encoding="utf-8")
    text = text.replace(STARTER_ORGANIZATION, options.organization).replace(STARTER_SYSTEM, options.system)
    destination = out / relpath
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(text, encoding="utf-8")


def render_config(options: InitOptions) -> str:
    """`soc2kit.yml` for a new program, with comments, through ruamel.yaml so values are quoted right."""
    from ruamel.yaml import YAML
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
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(config, stream)
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


def _first_commit(target: Path, options: InitOptions) -> str:
    import git

    repo = git.Repo(target) if (target / ".git").exists() else git.Repo.init(target, initial_branch="main")
    paths = [p for p in (*PROGRAM_PARTS, ".gitignore") if (target / p).exists()]
    repo.index.add(paths)
    commit = repo.index.commit(
        f"Start the SOC 2 program for {options.organization}\n\nCreated by soc2kit init from the starter program."
    )
    return str(commit.hexsha)


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


def create_new_file(path: Path, text: str) -> None:
    """Create `path` with `text`; refuse if it exists. Written under a temp name, then linked in exclusively."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            os.link(temp, path)  # fails if path exists: never overwrites
        except FileExistsError:
            raise UsageError("already exists; nothing was written", path=path) from None
    finally:
        Path(temp).unlink(missing_ok=True)


def verify_template(text: str, kind: str) -> None:
    """A generated document must parse; a bug here would hand the user a broken file."""
    doc = Document(path="(new)", kind=kind)
    parse_text(doc, text, markdown=kind != "evidence")
    assert doc.data is not None, doc.diagnostics


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
