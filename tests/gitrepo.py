"""Real Git repositories in temp dirs, for tests: pinned authors and dates, merges, squashes, trailers.

    repo = GitRepo.create(tmp_path / "repo")            # git init -b main, isolated from ~/.gitconfig
    repo = program_repo(tmp_path / "repo")             # a valid program (tests/conftest.make_program), committed
    repo.write("policies/x.md", text); repo.replace(path, old, new); repo.remove(path); repo.rename(old, new)
    sha = repo.commit("Add X", author=BOB, date="2026-02-01T10:00:00+00:00", trailers=[("Reviewed-by", "...")],
                      signoff=True, sign=True)        # stages everything first; dates default to a clock
    repo.branch("feature"); repo.checkout("main")
    repo.merge_pr("feature", 12)                      # --no-ff, "Merge pull request #12 from acme/feature"
    repo.squash_pr("feature", 13, "Tighten access reviews")  # one commit "Tighten access reviews (#13)"
    repo.lfs_pointer("evidence/AC-01/big.bin", b"content")   # writes a Git LFS pointer file, returns the oid
    repo.enable_ssh_signing()                          # commits made with sign=True verify as good (%G? = G)
    clone = repo.shallow_clone(tmp_path / "clone", depth=1)
    repo.git("tag", "v1"); repo.head(); repo.detach()

Every git call runs with GIT_CONFIG_GLOBAL=/dev/null and pinned author/committer names, emails and
dates, so two repos built by the same steps have the same commit ids.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tests.conftest import ProgramDir, make_program

ALICE = ("Alice Adams", "alice@example.com")
BOB = ("Bob Brown", "bob@example.com")
CAROL = ("Carol Chen", "carol@example.com")
START = datetime.fromisoformat("2026-01-05T09:00:00+00:00")


@dataclass
class GitRepo(ProgramDir):
    """A working Git repository under `root`, with every commit's identity and date pinned."""

    root: Path
    clock: datetime = START
    signing: bool = field(default=False)

    @classmethod
    def create(cls, root: Path, *, branch: str = "main", protect_evidence: bool = True) -> GitRepo:
        root.mkdir(parents=True, exist_ok=True)
        repo = cls(root)
        repo.git("init", "-q", "-b", branch)
        repo.git("config", "commit.gpgsign", "false")
        if protect_evidence:
            # The protection `soc2kit init` writes to .gitattributes (else `check` warns, SK411), kept
            # in .git/info so that no test's trail, diff or bundle shows an extra tracked file.
            (root / ".git" / "info").mkdir(exist_ok=True)
            (root / ".git" / "info" / "attributes").write_text("**/evidence/** -text\n", encoding="utf-8")
        return repo

    def env(self, author: tuple[str, str] = ALICE, committer: tuple[str, str] | None = None, date: str = "") -> dict[str, str]:
        committer = committer or author
        when = date or self.clock.isoformat()
        env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        env.pop("GIT_DIR", None)
        env.pop("GIT_WORK_TREE", None)
        return env

    def git(self, *args: str, author: tuple[str, str] = ALICE, committer: tuple[str, str] | None = None, date: str = "") -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env=self.env(author, committer, date),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    # -- files (write, read and replace come from ProgramDir) ---------------------------------
    def remove(self, relpath: str) -> None:
        self.git("rm", "-q", "-r", "--", relpath)

    def rename(self, old: str, new: str) -> None:
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)

    def lfs_pointer(self, relpath: str, content: bytes) -> str:
        """Write a Git LFS pointer file for `content` at `relpath`; returns the sha256 oid."""
        oid = hashlib.sha256(content).hexdigest()
        self.write(relpath, f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(content)}\n")
        return oid

    # -- commits ---------------------------------------------------------------
    def tick(self, hours: int = 1) -> str:
        self.clock += timedelta(hours=hours)
        return self.clock.isoformat()

    def commit(
        self,
        subject: str,
        *,
        body: str = "",
        author: tuple[str, str] = ALICE,
        committer: tuple[str, str] | None = None,
        date: str = "",
        trailers: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
        signoff: bool = False,
        sign: bool = False,
        allow_empty: bool = False,
    ) -> str:
        """Stage everything and commit; returns the new commit's sha."""
        when = date or self.tick()
        self.git("add", "-A")
        message = subject + (f"\n\n{body}" if body else "")
        if trailers:
            message += "\n\n" + "\n".join(f"{key}: {value}" for key, value in trailers)
        args = ["commit", "-q", "-m", message]
        if signoff:
            args.append("--signoff")
        if sign:
            args.append("-S")
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, author=author, committer=committer, date=when)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def branch(self, name: str, start: str = "") -> None:
        self.git("checkout", "-q", "-b", name, *([start] if start else []))

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def detach(self, rev: str = "HEAD") -> None:
        self.git("checkout", "-q", "--detach", rev)

    def merge_pr(
        self,
        branch: str,
        pr: int,
        *,
        author: tuple[str, str] = ALICE,
        committer: tuple[str, str] | None = None,
        date: str = "",
        trailers: tuple[tuple[str, str], ...] = (),
    ) -> str:
        """Merge `branch` into the current branch as GitHub's merge button does (--no-ff); GitHub's web flow
        commits it when `committer` is WEB_FLOW."""
        message = f"Merge pull request #{pr} from acme/{branch}\n\n{branch}"
        if trailers:
            message += "\n\n" + "\n".join(f"{key}: {value}" for key, value in trailers)
        self.git("merge", "-q", "--no-ff", "-m", message, branch, author=author, committer=committer, date=date or self.tick())
        return self.head()

    def squash_pr(
        self,
        branch: str,
        pr: int,
        subject: str,
        *,
        author: tuple[str, str] = ALICE,
        committer: tuple[str, str] | None = None,
        date: str = "",
        trailers: tuple[tuple[str, str], ...] = (),
    ) -> str:
        """Squash-merge `branch` into the current branch as one commit "subject (#pr)"."""
        self.git("merge", "-q", "--squash", branch, author=author, date=date or self.tick())
        return self.commit(f"{subject} (#{pr})", author=author, committer=committer, date=date, trailers=trailers)

    def enable_ssh_signing(self) -> None:
        """Sign with a fresh SSH key that the repo trusts, so signed commits verify as good (G)."""
        key = self.root.parent / f"{self.root.name}-signing-key"
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(key)], check=True)
        public = key.with_suffix(".pub") if key.suffix else Path(f"{key}.pub")
        allowed = self.root.parent / f"{self.root.name}-allowed-signers"
        allowed.write_text(f"{ALICE[1]} {public.read_text(encoding='utf-8').strip()}\n", encoding="utf-8")
        self.git("config", "gpg.format", "ssh")
        self.git("config", "user.signingkey", str(key))
        self.git("config", "gpg.ssh.allowedSignersFile", str(allowed))
        self.signing = True

    def shallow_clone(self, dest: Path, *, depth: int = 1) -> GitRepo:
        subprocess.run(
            ["git", "clone", "-q", f"--depth={depth}", f"file://{self.root}", str(dest)],
            env=self.env(),
            check=True,
            capture_output=True,
        )
        return GitRepo(dest, clock=self.clock)


def program_repo(root: Path, *, subject: str = "Start the SOC 2 program") -> GitRepo:
    """A repository holding the small valid program of tests/conftest.py, committed once on main."""
    repo = GitRepo.create(root)
    make_program(root)
    repo.commit(subject)
    return repo


WEB_FLOW = ("GitHub", "noreply@github.com")
"""The committer of the merges and squashes GitHub's buttons make."""

_PATH = os.environ.get("PATH", os.defpath)


def counting_git_path(folder: Path, log: Path) -> str:
    """A PATH whose first `git` appends its arguments to `log`, then runs the real git."""
    real = shutil.which("git", path=_PATH)
    assert real is not None
    folder.mkdir(parents=True)
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return f"{folder}{os.pathsep}{_PATH}"
