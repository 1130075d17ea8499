"""Who changed what: the authors of a change on the main line, apart from who merged it.

GitHub's merge button makes the merger the merge commit's author and itself (`GitHub
<noreply@github.com>`) its committer, so the merge commit's author is not who wrote the change.
The authors of a merge are the authors of the commits it brought in: reachable from its other
parents and not from its first parent.

Public API
    Authorship (frozen): kind ("merge" | "squash" | "direct" | "root"), authors (sorted, unique
        "Name <email>"), merger ("Name <email>" of a merge commit's author, else None), committer.
    merged_authors(root, rev, shas=None) -> dict[sha, tuple[str, ...]]
        One `git log` pass over everything reachable from `rev` (all parents), then linear graph
        work: for each merge commit on the first-parent line of `rev` (only those in `shas` when
        given), the sorted authors of the commits it merged.
    MergedAuthors(root, rev, *, remember=False): the same map as a Mapping whose `git log` runs in
        the background from construction; .done (the git log has finished), .resolve() -> the dict
        (raises HistoryUnavailableError as merged_authors does), .close() (stops the git log).
        With `remember` (a full clone; `rev` a commit ID) the map is kept in the user cache
        (soc2kit.cache.FactsCache): a later call for the same commit runs no git, one for a
        descendant on whose first-parent line it lies walks only the commits since.
    authorship(commit, merged, *, pr=None) -> Authorship
        `pr`: a pull request number confirmed by GitHub (the API); without it, `github_pr(commit)`.
    github_pr(commit) -> int | None: the pull request a commit's subject names, counted only when
        GitHub's web flow committed it (a subject typed into a local commit proves nothing).
    WEB_FLOW_EMAIL: the committer email of commits GitHub makes when it merges a pull request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from soc2kit.cache import FactsCache
from soc2kit.git import Background, GitError, HistoryUnavailableError, run
from soc2kit.history import Commit, pr_number

WEB_FLOW_EMAIL = "noreply@github.com"
_FORMAT = "--format=%H%x00%P%x00%an <%ae>%x00"

Kind = Literal["merge", "squash", "direct", "root"]
_COMMIT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_FACTS_SCOPE = "git merged authors"


@dataclass(frozen=True, slots=True)
class Authorship:
    kind: Kind
    authors: tuple[str, ...]
    """Sorted, unique "Name <email>": for a merge, the authors of the commits it merged; else the commit's author."""
    merger: str | None
    """For a merge, the merge commit's author (who pressed the button); else None."""
    committer: str


def github_pr(commit: Commit) -> int | None:
    """The pull request `commit`'s subject names, when GitHub's web flow made the commit."""
    if commit.committer_email.strip().lower() != WEB_FLOW_EMAIL:
        return None
    return pr_number(commit.subject)


def authorship(commit: Commit, merged: Mapping[str, tuple[str, ...]], *, pr: int | None = None) -> Authorship:
    """Who wrote `commit`'s change and who merged it (see the module doc)."""
    if commit.is_merge:
        # A merge that brought in nothing new (everything was already on the main line) has no other
        # authors: its own author is the one who made the change it records.
        authors = merged.get(commit.sha) or (commit.author,)
        return Authorship("merge", authors, commit.author, commit.committer)
    if not commit.parents:
        kind: Kind = "root"
    elif (pr if pr is not None else github_pr(commit)) is not None:
        kind = "squash"
    else:
        kind = "direct"
    return Authorship(kind, (commit.author,), None, commit.committer)


def _graph(output: bytes) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each commit's parents and author, from the NUL-terminated fields git prints (sha, parents, author).

    Read whole and split once, the maps built by C loops (no Python step per commit): the graph walk
    keeps every commit's parents and author anyway, so the output is no larger than what is held after it.
    """
    tokens = output.decode("utf-8", "replace").split("\0")
    whole = len(tokens) - len(tokens) % 3  # the last token is what follows the final NUL: git's newline
    shas = [sha.lstrip("\n") for sha in tokens[0:whole:3]]  # git ends each commit's record with a newline
    return dict(zip(shas, map(str.split, tokens[1:whole:3]), strict=True)), dict(zip(shas, tokens[2:whole:3], strict=True))


def merged_authors(root: str | Path, rev: str, shas: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """For each first-parent merge of `rev`, the authors of the commits it merged (see the module doc)."""
    return _merged(_read_graph(Path(root), rev), shas)


def _read_graph(root: Path, rev: str) -> bytes:
    """git's (sha, parents, author) of every commit reachable from `rev`."""
    try:
        return run(_graph_command(rev), cwd=root)
    except GitError as exc:
        raise HistoryUnavailableError(f"git log failed: {exc.detail}") from None


def _graph_command(rev: str, since: str | None = None) -> list[str]:
    """The `git log` of (sha, parents, author) of the commits reachable from `rev`, or only of those since `since`."""
    limit = [f"^{since}"] if since is not None else []
    return ["log", "--no-color", "--encoding=UTF-8", _FORMAT, "--end-of-options", rev, *limit, "--"]


class MergedAuthors(Mapping[str, tuple[str, ...]]):
    """`merged_authors(root, rev)` with its `git log` started at once and left to run in the background
    (soc2kit.git.Background) while the caller works; the map is built on first use, and a failure of
    that git log is raised then. `done`: whether the git log has finished, so first use will not wait.

    With `remember`, the map of the last commit asked about is kept in the user cache. A merge's
    authors are a fact of the merge commit alone (the commits its other parents reach and its first
    parent does not), so the map of a commit on `rev`'s first-parent line holds every answer below it;
    only the commits since are walked, from a `git log rev ^known`. Anything else (the known
    commit is not on that line, or git cannot find it) walks the whole history, as without `remember`.
    A shallow clone must not remember: beyond its boundary the authors are unknown, not absent."""

    def __init__(self, root: str | Path, rev: str, *, remember: bool = False) -> None:
        self._root, self._rev = Path(root), rev
        self._map: dict[str, tuple[str, ...]] | None = None
        self._facts: FactsCache | None = None
        self._known: tuple[str, dict[str, tuple[str, ...]]] | None = None
        if remember and _COMMIT_ID.fullmatch(rev):
            self._facts = FactsCache.open(f"{_FACTS_SCOPE}\0{os.path.realpath(root)}")
            self._known = _known(self._facts)
        self._git: Background | GitError | None = None
        if self._known is None or self._known[0] != rev:
            try:
                self._git = Background(_graph_command(rev, self._known[0] if self._known else None), cwd=self._root)
            except GitError as exc:  # raised on first use, as a failure of the git log itself would be
                self._git = exc

    @property
    def done(self) -> bool:
        return not isinstance(self._git, Background) or self._git.done

    def resolve(self) -> dict[str, tuple[str, ...]]:
        """The map (waits for git when it is still running); raises HistoryUnavailableError when git failed."""
        if self._map is None:
            self._map = self._build()
            if self._facts is not None:
                self._facts.put("head", self._rev)
                self._facts.put("merged", {sha: list(authors) for sha, authors in self._map.items()})
                self._facts.save()
        return self._map

    def close(self) -> None:
        """Stop the git log when the map is no longer wanted."""
        if isinstance(self._git, Background):
            self._git.close()

    def _build(self) -> dict[str, tuple[str, ...]]:
        git = self._git
        if git is None:  # the known map is this commit's
            assert self._known is not None
            return self._known[1]
        try:
            if isinstance(git, GitError):
                raise git
            output = git.output()
        except GitError as exc:
            self._git = exc  # asked again, the same answer
            if self._known is None:
                raise HistoryUnavailableError(f"git log failed: {exc.detail}") from None
            return _merged(_read_graph(self._root, self._rev))  # git cannot find the known commit
        if self._known is not None:
            since, known = self._known
            newer, bottom = _merged_line(output)
            if bottom == since:
                return {**known, **newer}
            return _merged(_read_graph(self._root, self._rev))  # not a descendant along the first parents
        return _merged(output)

    def __getitem__(self, sha: str) -> tuple[str, ...]:
        return self.resolve()[sha]

    def __iter__(self) -> Iterator[str]:
        return iter(self.resolve())

    def __len__(self) -> int:
        return len(self.resolve())


def _known(facts: FactsCache) -> tuple[str, dict[str, tuple[str, ...]]] | None:
    """The remembered (commit, its map), or None when there is none or it is not of the expected shape."""
    head, merged = facts.get("head"), facts.get("merged")
    if not (isinstance(head, str) and _COMMIT_ID.fullmatch(head) and isinstance(merged, dict)):
        return None
    found: dict[str, tuple[str, ...]] = {}
    for sha, authors in merged.items():
        if not (isinstance(authors, list) and all(isinstance(author, str) for author in authors)):
            return None
        found[sha] = tuple(authors)
    return head, found


def _merged(output: bytes, shas: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    return _merged_line(output, shas)[0]


def _merged_line(output: bytes, shas: Iterable[str] | None = None) -> tuple[dict[str, tuple[str, ...]], str | None]:
    """The merged authors of the first-parent merges in `output`, and the first parent of the oldest
    commit of that line (None at a root): the commit the output stops at, when it was limited."""
    parents_of, author_of = _graph(output)
    # The first-parent line, oldest first: each main-line commit brings in exactly the commits
    # reachable from it that no older main-line commit reaches. Walking oldest first, everything
    # reachable from older main-line commits is already `seen` (an ancestor-closed set), so each
    # commit is visited once over the whole history.
    line: list[str] = []
    tip: str | None = next(iter(parents_of), None)
    while tip is not None and tip in parents_of:
        line.append(tip)
        first = parents_of[tip]
        tip = first[0] if first else None
    wanted = None if shas is None else set(shas)
    seen: set[str] = set()
    result: dict[str, tuple[str, ...]] = {}
    for main in reversed(line):
        seen.add(main)
        merged_from = parents_of[main][1:]
        if not merged_from:
            continue
        authors: set[str] = set()
        pending = [parent for parent in merged_from if parent not in seen]
        while pending:
            sha = pending.pop()
            if sha in seen:
                continue
            seen.add(sha)
            if sha not in author_of:  # beyond a shallow clone's boundary
                continue
            authors.add(author_of[sha])
            pending.extend(parent for parent in parents_of[sha] if parent not in seen)
        if wanted is None or main in wanted:
            result[main] = tuple(sorted(authors))
    below = parents_of[line[-1]] if line else []
    return result, below[0] if below else None
