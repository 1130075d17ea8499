"""What every page builder reads: the Program (loaded once per build), where each page lives,
and how to link between pages and to the Git host.

Page paths are MkDocs `src_uri`s under the docs folder; links between pages are relative
Markdown links to those paths, so MkDocs checks them and they work under any `site_url`.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soc2kit import escaping
from soc2kit.models import ID_MENTION
from soc2kit.site import markdown as md

if TYPE_CHECKING:
    from soc2kit.history import History

HOME = "index.md"
POLICIES = "policies/index.md"
CONTROLS = "controls/index.md"
CRITERIA = "criteria/index.md"
EVIDENCE = "evidence/index.md"
CHANGES = "changes.md"
FINDINGS = "findings.md"
RULES = "reference/rules.md"
CLI = "reference/cli.md"
REFERENCE = "reference/index.md"


# A policy or control ID, not already part of a link text/target or a longer word.
_MENTION = re.compile(rf"(?<![\w\[/#-]){ID_MENTION}(?![\w\]-]|\]\()")


# An inline Markdown link: [text](target "optional title").
_LINK = re.compile(r"(\[[^\]\n]*\])\(([^)\s]+)(\s+\"[^\"]*\")?\)")


@functools.lru_cache(maxsize=1 << 16)
def _relative(target: str, start: str) -> str:
    # Every page links to the same few hundred pages from a few folders: relpath, which makes both
    # paths absolute each time, was a fifth of page generation at 1,000 documents.
    return posixpath.relpath(target, start)


def policy_page(policy_id: str) -> str:
    return f"policies/{policy_id}.md"


def control_page(control_id: str) -> str:
    return f"controls/{control_id}.md"


def criterion_page(criterion_id: str) -> str:
    return f"criteria/{criterion_id}.md"


def month_page(month: str) -> str:
    """`month` is YYYY-MM."""
    return f"evidence/{month}.md"


@dataclass(frozen=True, slots=True)
class GeneratedPage:
    """One page of the portal: where it goes, its title, its Markdown, and the program file it shows."""

    path: str
    title: str
    markdown: str
    source: str | None = None
    """Program-relative path of the file the page is built from (its edit link), if any."""


@dataclass
class Portal:
    """The Program plus what the pages need to link: the repository URL and the Git folder layout."""

    program: Any
    """The `soc2kit.program.Program` of this build."""
    repo_url: str | None = None
    gaps_limit: int = 10
    changes_limit: int = 100
    readiness: Any = None
    """The readiness model of this build (soc2kit.readiness), when that module is available."""
    history: Any = None
    """Revision history per path (soc2kit.history), or None outside Git / with history off."""
    history_note: str = ""
    """Why there is no history (or that it is cut by a shallow clone), said on the pages that show it."""
    git_prefix: str = field(default="")
    """The program folder relative to the Git work tree root ('' when they are the same)."""

    @property
    def errors(self) -> list[Any]:
        return list(self.program.errors)

    def error_report(self, *, limit: int = 50) -> str | None:
        """The program's errors, one `path:line: CODE message` line each (at most `limit`), or None without errors."""
        errors = self.errors
        if not errors:
            return None
        listed = [f"  {d.path}:{d.line}: {d.code} {d.message}" for d in errors[:limit]]
        if len(errors) > limit:
            listed.append(f"  ... and {len(errors) - limit} more (see the Findings page)")
        return f"soc2kit: the program has {len(errors)} error(s); the portal's Findings page lists them:\n" + "\n".join(listed)

    # -- links between pages -------------------------------------------------------
    @staticmethod
    def rel(from_page: str, to_page: str) -> str:
        """The relative Markdown link from one generated page to another (anchor allowed)."""
        target, _, anchor = to_page.partition("#")
        path = _relative(target, posixpath.dirname(from_page) or ".")
        return path + (f"#{anchor}" if anchor else "")

    def policy_link(self, from_page: str, policy_id: str, *, title: bool = False) -> str:
        policy = self.program.policies.get(policy_id)
        return self._link(from_page, policy_id, policy and policy.title, policy_page(policy_id), title=title)

    def control_link(self, from_page: str, control_id: str, *, title: bool = False) -> str:
        control = self.program.controls.get(control_id)
        return self._link(from_page, control_id, control and control.title, control_page(control_id), title=title)

    def criterion_link(self, from_page: str, criterion_id: str, *, title: bool = False) -> str:
        criterion = self.program.catalog.criterion(criterion_id)
        shown = criterion.id if criterion else criterion_id  # the catalog's spelling
        return self._link(from_page, shown, criterion and criterion.title, criterion_page(shown), title=title, absent="unknown")

    def _link(
        self, from_page: str, entity_id: str, entity_title: str | None, page: str, *, title: bool, absent: str = "missing"
    ) -> str:
        """A link to an entity's page, labelled with its ID (and title); a red badge when it does not exist."""
        if entity_title is None:
            return f"{md.text(entity_id)} {md.badge(absent, 'bad')}"
        label = f"{md.text(entity_id)} {md.text(entity_title)}" if title else md.text(entity_id)
        return md.link(label, self.rel(from_page, page))

    def linkify(self, from_page: str, body: str) -> str:
        """`body` with every mention of a known policy or control ID turned into a link to its page
        (not inside code, nor inside an existing link)."""
        out = []
        fence = False
        for line in body.split("\n"):
            if line.lstrip().startswith(("```", "~~~")):
                fence = not fence
            if fence or not _MENTION.search(line):
                out.append(line)
                continue
            parts = line.split("`")
            # Even parts are outside inline code spans.
            parts[::2] = [_MENTION.sub(lambda m: self._mention(from_page, m), part) for part in parts[::2]]
            out.append("`".join(parts))
        return "\n".join(out)

    def _mention(self, from_page: str, match: re.Match[str]) -> str:
        mentioned = match.group(0)
        if mentioned in self.program.controls:
            return md.link(mentioned, self.rel(from_page, control_page(mentioned)))
        if mentioned in self.program.policies:
            return md.link(mentioned, self.rel(from_page, policy_page(mentioned)))
        return mentioned

    def outside_links(self, page: str, markdown: str, docs_dir: Path) -> str:
        """A docs page's relative links that leave the docs folder, pointed at what they name: a policy or
        control file -> its generated page; any other repository file -> the Git host (when `repo_url` is set)."""

        def fix(match: re.Match[str]) -> str:
            target = match.group(2)
            path, _, anchor = target.partition("#")
            if not path or "://" in path or path.startswith(("/", "mailto:")):
                return match.group(0)
            absolute = (docs_dir / posixpath.dirname(page) / path).resolve()
            if absolute.is_relative_to(docs_dir.resolve()) or not absolute.is_relative_to(self.program.root):
                return match.group(0)
            program_path = absolute.relative_to(self.program.root).as_posix()
            doc = self.program.documents.get(program_path)
            new: str | None = None
            if doc is not None and doc.kind in {"policy", "control"} and doc.entity_id:
                pages = {"policy": policy_page, "control": control_page}
                tables = {"policy": self.program.policies, "control": self.program.controls}
                if doc.entity_id in tables[doc.kind]:
                    new = self.rel(page, pages[doc.kind](doc.entity_id))
            if new is None:
                new = self.file_url(program_path)
            if new is None:
                return match.group(0)
            return f"{match.group(1)}({escaping.url(new + ('#' + anchor if anchor else ''))}{match.group(3) or ''})"

        return _LINK.sub(fix, markdown)

    # -- links to the Git host --------------------------------------------------------
    def repo_path(self, program_path: str) -> str:
        """A program-relative path as a path in the Git repository."""
        return f"{self.git_prefix}/{program_path}" if self.git_prefix else program_path

    def file_url(self, program_path: str) -> str | None:
        """The file on the Git host (default branch), when `repo_url` is set."""
        if not self.repo_url:
            return None
        return f"{self.repo_url}/blob/HEAD/{escaping.url_path(self.repo_path(program_path))}"

    def file_link(self, program_path: str, label: str | None = None) -> str:
        url = self.file_url(program_path)
        shown = label if label is not None else md.code(program_path)
        return md.link(shown, url) if url else shown

    def pr_link(self, number: int | None) -> str:
        if number is None:
            return md.badge("direct push", "warn")
        return md.link(f"#{number}", f"{self.repo_url}/pull/{number}") if self.repo_url else f"#{number}"

    def commit_link(self, sha: str) -> str:
        short = md.code(sha[:8])
        return md.link(short, f"{self.repo_url}/commit/{sha}") if self.repo_url else short


def git_prefix(root: Path) -> str:
    """`root` relative to the Git work tree that holds it, found without running git ('' if none)."""
    current = root.resolve()
    for parent in (current, *current.parents):
        if (parent / ".git").exists():
            return current.relative_to(parent).as_posix().strip(".")
    return ""


def load_portal(
    root: Path,
    *,
    today: date | None = None,
    use_cache: bool = True,
    history: bool = True,
    repo_url: str | None = None,
    gaps_limit: int = 10,
    changes_limit: int = 100,
    git_history: History | None = None,
) -> Portal:
    """Load the program at `root` once, with its readiness and Git history, for one build of the portal.
    `git_history`: the History of `root` the caller keeps (the plugin, across `mkdocs serve` rebuilds);
    read here when None.

    Never raises for bad program content (that becomes the Findings page); raises
    `soc2kit.errors.ConfigError` when `root` is not a folder.
    """
    from soc2kit.loader import load_program

    program = load_program(root, today=today, use_cache=use_cache)
    portal = Portal(
        program=program,
        repo_url=repo_url.rstrip("/") if repo_url else None,
        gaps_limit=gaps_limit,
        changes_limit=changes_limit,
        git_prefix=git_prefix(root),
    )
    from soc2kit.readiness import assess

    if not history:
        portal.readiness = assess(program)
        portal.history_note = "Git history is off for this site (plugin option `history: false`)."
        return portal
    from soc2kit.history import load_history

    found = git_history if git_history is not None else load_history(root)
    portal.history_note = found.note
    if found.available:
        portal.history = found
    # With history, as `soc2kit status` does: evidence changed after its commit or back-dated does not count.
    portal.readiness = assess(program, history=found)
    return portal
