"""What a change does to the program: compare two Programs (two revisions, or a revision and the work tree).

Public API
    diff_programs(base, head, *, base_label="", head_label="") -> ProgramDiff
    diff_revisions(root, base_rev, head_rev=None) -> ProgramDiff
        head_rev None compares with the work tree (like `git diff BASE`).
    ProgramDiff: policies / controls / evidence / system (the description's parts, by part name) /
        subservice_organizations / csocs (complementary subservice organization controls, from
        every organization) / user_entity_controls / deviations (lists of EntityChange),
        newly_uncovered / newly_covered (criterion IDs), exclusions_added / exclusions_removed
        ({criterion: reason}), empty, to_dict(), and format_diff(diff, "text" | "json" | "md").
    EntityChange: kind, id, change ("added" | "removed" | "changed"), title, path, fields (what
        changed: front-matter keys or a register entry's keys, "body", "path"), and for policies
        old/new version and last_reviewed plus version_bumped / review_moved. A register entry's
        title is its name (organizations) or description; its path is the register file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from soc2kit.layout import DEVIATIONS_REGISTER, SUBSERVICE_REGISTER, USER_ENTITY_CONTROLS_REGISTER

if TYPE_CHECKING:
    from collections.abc import Mapping

    from soc2kit.models import ComplementaryControl
    from soc2kit.program import Program

DIFF_FORMATS = ("text", "json", "md")
SHAPE_VERSION = 1


@dataclass(frozen=True)
class EntityChange:
    kind: str
    id: str
    change: Literal["added", "removed", "changed"]
    title: str
    path: str
    fields: tuple[str, ...] = ()
    old_version: str | None = None
    new_version: str | None = None
    old_reviewed: date | None = None
    new_reviewed: date | None = None

    @property
    def version_bumped(self) -> bool:
        return self.old_version != self.new_version

    @property
    def review_moved(self) -> bool:
        return self.old_reviewed != self.new_reviewed

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "change": self.change, "title": self.title, "path": self.path}
        if self.change == "changed":
            data["fields"] = list(self.fields)
        if self.kind == "policy":
            data["version"] = {"old": self.old_version, "new": self.new_version}
            data["last_reviewed"] = {
                "old": self.old_reviewed.isoformat() if self.old_reviewed else None,
                "new": self.new_reviewed.isoformat() if self.new_reviewed else None,
            }
            if self.change == "changed":
                data["version_bumped"] = self.version_bumped
                data["review_moved"] = self.review_moved
        return data


@dataclass
class ProgramDiff:
    base_label: str
    head_label: str
    policies: list[EntityChange] = field(default_factory=list)
    controls: list[EntityChange] = field(default_factory=list)
    evidence: list[EntityChange] = field(default_factory=list)
    system: list[EntityChange] = field(default_factory=list)
    subservice_organizations: list[EntityChange] = field(default_factory=list)
    csocs: list[EntityChange] = field(default_factory=list)
    user_entity_controls: list[EntityChange] = field(default_factory=list)
    deviations: list[EntityChange] = field(default_factory=list)
    newly_uncovered: list[str] = field(default_factory=list)
    newly_covered: list[str] = field(default_factory=list)
    exclusions_added: dict[str, str] = field(default_factory=dict)
    exclusions_removed: dict[str, str] = field(default_factory=dict)
    criterion_titles: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (
            self.policies
            or self.controls
            or self.evidence
            or any(changes for _, changes in self.report_parts())
            or self.newly_uncovered
            or self.newly_covered
            or self.exclusions_added
            or self.exclusions_removed
        )

    def report_parts(self) -> list[tuple[str, list[EntityChange]]]:
        """The system description's parts and the register entries, each list under its heading."""
        return [
            ("System description", self.system),
            ("Subservice organizations", self.subservice_organizations),
            ("Complementary subservice organization controls", self.csocs),
            ("Complementary user entity controls", self.user_entity_controls),
            ("Deviations", self.deviations),
        ]

    @property
    def unbumped_policies(self) -> list[EntityChange]:
        """Changed policies whose version did not move."""
        return [c for c in self.policies if c.change == "changed" and not c.version_bumped]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SHAPE_VERSION,
            "base": self.base_label,
            "head": self.head_label,
            "policies": [c.to_dict() for c in self.policies],
            "controls": [c.to_dict() for c in self.controls],
            "evidence": [c.to_dict() for c in self.evidence],
            "system": [c.to_dict() for c in self.system],
            "subservice_organizations": [c.to_dict() for c in self.subservice_organizations],
            "csocs": [c.to_dict() for c in self.csocs],
            "user_entity_controls": [c.to_dict() for c in self.user_entity_controls],
            "deviations": [c.to_dict() for c in self.deviations],
            "criteria": {"newly_uncovered": self.newly_uncovered, "newly_covered": self.newly_covered},
            "exclusions": {"added": self.exclusions_added, "removed": self.exclusions_removed},
        }


def _uncovered(program: Program) -> list[str]:
    return [c.id for c in program.criteria_in_scope() if not program.controls_by_criterion.get(c.id)]


def _fields(base: Any, head: Any) -> list[str]:
    old, new = base.model_dump(), head.model_dump()
    return [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]


def _compare(kind: str, base: Program, head: Program, old: dict[str, Any], new: dict[str, Any]) -> list[EntityChange]:
    found: list[EntityChange] = []
    for entity_id in sorted(set(old) | set(new)):
        before, after = old.get(entity_id), new.get(entity_id)
        extra: dict[str, Any] = {}
        if kind == "policy":
            extra = {
                "old_version": before.version if before else None,
                "new_version": after.version if after else None,
                "old_reviewed": before.last_reviewed if before else None,
                "new_reviewed": after.last_reviewed if after else None,
            }
        if before is None:
            found.append(EntityChange(kind, entity_id, "added", _title(after), head.source(kind, entity_id).path, **extra))
            continue
        if after is None:
            found.append(EntityChange(kind, entity_id, "removed", _title(before), base.source(kind, entity_id).path, **extra))
            continue
        old_doc, new_doc = base.source(kind, entity_id), head.source(kind, entity_id)
        changed = _fields(before, after)
        if kind != "evidence" and old_doc.body != new_doc.body:
            changed.append("body")
        if old_doc.path != new_doc.path:
            changed.append("path")
        if changed:
            found.append(EntityChange(kind, entity_id, "changed", _title(after), new_doc.path, tuple(changed), **extra))
    return found


def _title(model: Any) -> str:
    for name in ("title", "name", "description", "requirement"):
        if value := getattr(model, name, ""):
            return str(value)
    return ""


def _compare_entries(kind: str, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[EntityChange]:
    """Entries of one register (no document of their own: the register file is their path)."""
    found: list[EntityChange] = []
    for entry_id in sorted(set(old) | set(new)):
        before, after = old.get(entry_id), new.get(entry_id)
        if before is None:
            found.append(EntityChange(kind, entry_id, "added", _title(after), path))
        elif after is None:
            found.append(EntityChange(kind, entry_id, "removed", _title(before), path))
        elif changed := _fields(before, after):
            found.append(EntityChange(kind, entry_id, "changed", _title(after), path, tuple(changed)))
    return found


def _csocs(program: Program) -> dict[str, ComplementaryControl]:
    found: dict[str, ComplementaryControl] = {}
    for organization in program.subservice_organizations.values():
        for csoc in organization.csocs:
            found.setdefault(csoc.id, csoc)
    return found


def diff_programs(base: Program, head: Program, *, base_label: str = "", head_label: str = "") -> ProgramDiff:
    """Everything that differs between two loaded programs, in ID order."""
    base_uncovered, head_uncovered = set(_uncovered(base)), _uncovered(head)
    head_scope = {c.id for c in head.criteria_in_scope()}
    titles = {c.id: c.title for c in head.catalog.criteria} | {c.id: c.title for c in base.catalog.criteria}
    order = {c.id: n for n, c in enumerate(head.catalog.criteria)}
    base_excl, head_excl = base.exclusions, head.exclusions
    return ProgramDiff(
        base_label=base_label,
        head_label=head_label,
        policies=_compare("policy", base, head, base.policies, head.policies),
        controls=_compare("control", base, head, base.controls, head.controls),
        evidence=_compare("evidence", base, head, base.evidence, head.evidence),
        system=_compare("system-part", base, head, base.system_parts, head.system_parts),
        subservice_organizations=_compare_entries(
            "subservice-organization", SUBSERVICE_REGISTER, base.subservice_organizations, head.subservice_organizations
        ),
        csocs=_compare_entries("csoc", SUBSERVICE_REGISTER, _csocs(base), _csocs(head)),
        user_entity_controls=_compare_entries(
            "cuec", USER_ENTITY_CONTROLS_REGISTER, base.user_entity_controls, head.user_entity_controls
        ),
        deviations=_compare_entries("deviation", DEVIATIONS_REGISTER, base.deviations, head.deviations),
        newly_uncovered=[c for c in head_uncovered if c not in base_uncovered],
        newly_covered=sorted(
            (c for c in base_uncovered if c in head_scope and c not in head_uncovered), key=lambda c: order.get(c, 1 << 30)
        ),
        exclusions_added={k: v for k, v in sorted(head_excl.items()) if k not in base_excl},
        exclusions_removed={k: v for k, v in sorted(base_excl.items()) if k not in head_excl},
        criterion_titles=titles,
    )


def diff_revisions(root: str | Path, base_rev: str, head_rev: str | None = None) -> ProgramDiff:
    """Compare the program at `base_rev` with `head_rev`, or with the work tree when None."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from soc2kit.git import Blobs, repo_info
    from soc2kit.program import load_config, read_program
    from soc2kit.revision import load_program_at

    base_root = Path(root)
    tz = ZoneInfo(load_config(base_root).audit.timezone)
    today = datetime.now(tz).date()
    info = repo_info(base_root)  # once for both revisions
    with Blobs(info.toplevel) as blobs:
        old = load_program_at(base_root, base_rev, tz=tz, today=today, check=False, info=info, blobs=blobs)
        if head_rev is not None:
            new = load_program_at(base_root, head_rev, tz=tz, today=today, check=False, info=info, blobs=blobs)
    if head_rev is None:
        current = read_program(base_root, today=today, use_cache=False)
        return diff_programs(old.program, current, base_label=f"{base_rev} ({old.commit[:12]})", head_label="work tree")
    return diff_programs(
        old.program, new.program, base_label=f"{base_rev} ({old.commit[:12]})", head_label=f"{head_rev} ({new.commit[:12]})"
    )


# -- formats -------------------------------------------------------------------------------------


def format_diff(diff: ProgramDiff, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if output_format == "md":
        return _markdown(diff)
    return _text(diff)


def _policy_note(change: EntityChange) -> str:
    if change.change != "changed":
        return f"version {change.new_version or change.old_version}"
    version = (
        f"version {change.old_version} -> {change.new_version}"
        if change.version_bumped
        else f"version {change.new_version} NOT bumped"
    )
    reviewed = (
        f"last_reviewed {_day(change.old_reviewed)} -> {_day(change.new_reviewed)}"
        if change.review_moved
        else f"last_reviewed {_day(change.new_reviewed)} unchanged"
    )
    return f"{version}; {reviewed}"


def _day(value: date | None) -> str:
    return value.isoformat() if value else "none"


def _text(diff: ProgramDiff) -> str:
    lines = [f"soc2kit diff {diff.base_label} -> {diff.head_label}"]
    if diff.empty:
        lines.append(
            "No change to policies, controls, evidence, the system description, the registers, criteria coverage or scope."
        )
        return "\n".join(lines) + "\n"
    listed = (("Policies", diff.policies), ("Controls", diff.controls), ("Evidence", diff.evidence), *diff.report_parts())
    for title, changes in listed:
        if not changes:
            continue
        lines.append(f"{title}:")
        for change in changes:
            detail = f" [{', '.join(change.fields)}]" if change.fields else ""
            note = f" ({_policy_note(change)})" if change.kind == "policy" else ""
            lines.append(f"  {change.change:<8} {change.id}  {change.title}{detail}{note}")
    if diff.newly_uncovered:
        lines.append("Criteria newly uncovered (no control after this change):")
        lines.extend(f"  {c}  {diff.criterion_titles.get(c, '')}".rstrip() for c in diff.newly_uncovered)
    if diff.newly_covered:
        lines.append("Criteria newly covered:")
        lines.extend(f"  {c}  {diff.criterion_titles.get(c, '')}".rstrip() for c in diff.newly_covered)
    for title, exclusions in (("Exclusions added", diff.exclusions_added), ("Exclusions removed", diff.exclusions_removed)):
        if exclusions:
            lines.append(f"{title}:")
            lines.extend(f"  {c}: {reason or '(no reason given)'}" for c, reason in exclusions.items())
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    from soc2kit.escaping import markdown

    return markdown(text)


def _code(text: str) -> str:
    from soc2kit.escaping import code

    return code(text)


def _markdown(diff: ProgramDiff) -> str:
    lines = ["## soc2kit: what this change does to the SOC 2 program", ""]
    lines.append(f"Compared {_code(diff.base_label)} with {_code(diff.head_label)}.")
    lines.append("")
    if diff.empty:
        lines.append(
            "No change to policies, controls, evidence, the system description, the registers, criteria coverage or scope."
        )
        return "\n".join(lines) + "\n"
    warnings = []
    if diff.newly_uncovered:
        warnings.append(
            f"**{len(diff.newly_uncovered)} criteria lose their last control:** "
            + ", ".join(f"`{c}`" for c in diff.newly_uncovered)
        )
    warnings.extend(f"**{c.id}** changed but its version stays {c.new_version}." for c in diff.unbumped_policies)
    if diff.exclusions_added:
        warnings.append("**Scope narrowed:** " + ", ".join(f"`{c}`" for c in diff.exclusions_added) + " newly excluded.")
    if warnings:
        lines.extend(f"> :warning: {w}" if n == 0 else f">\n> :warning: {w}" for n, w in enumerate(warnings))
        lines.append("")
    if diff.policies:
        lines += ["### Policies", "", "| Change | Policy | Title | Version | Last reviewed |", "| --- | --- | --- | --- | --- |"]
        for c in diff.policies:
            if c.change == "changed":
                version = f"{c.old_version} → {c.new_version}" if c.version_bumped else f"{c.new_version} (not bumped)"
                reviewed = (
                    f"{_day(c.old_reviewed)} → {_day(c.new_reviewed)}"
                    if c.review_moved
                    else f"{_day(c.new_reviewed)} (unchanged)"
                )
            else:
                version, reviewed = str(c.new_version or c.old_version), _day(c.new_reviewed or c.old_reviewed)
            lines.append(f"| {c.change} | `{c.id}` | {_cell(c.title)} | {version} | {reviewed} |")
        lines.append("")
    for title, changes in (("Controls", diff.controls), ("Evidence", diff.evidence), *diff.report_parts()):
        if not changes:
            continue
        lines += [f"### {title}", "", "| Change | ID | Title | What changed |", "| --- | --- | --- | --- |"]
        lines.extend(f"| {c.change} | `{c.id}` | {_cell(c.title)} | {', '.join(c.fields) or '-'} |" for c in changes)
        lines.append("")
    if diff.newly_uncovered or diff.newly_covered:
        lines += ["### Criteria coverage", "", "| Criterion | Title | Now |", "| --- | --- | --- |"]
        lines.extend(f"| `{c}` | {_cell(diff.criterion_titles.get(c, ''))} | uncovered |" for c in diff.newly_uncovered)
        lines.extend(f"| `{c}` | {_cell(diff.criterion_titles.get(c, ''))} | covered |" for c in diff.newly_covered)
        lines.append("")
    if diff.exclusions_added or diff.exclusions_removed:
        lines += ["### Scope exclusions", "", "| Criterion | Change | Reason |", "| --- | --- | --- |"]
        lines.extend(f"| `{c}` | added | {_cell(r)} |" for c, r in diff.exclusions_added.items())
        lines.extend(f"| `{c}` | removed | {_cell(r)} |" for c, r in diff.exclusions_removed.items())
        lines.append("")
    return "\n".join(lines)
