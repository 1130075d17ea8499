"""Where a program is and what it holds: the config file's name, the program's folders and the kind
of document each holds, and finding the program folder from wherever a command runs.

    find_program_root(start=None, *, explicit) -> Path
        explicit: `start` itself, which must hold soc2kit.yml.
        otherwise: the nearest folder holding soc2kit.yml, from `start` (default: the current
        folder) upwards. The search stops at the Git root (the nearest folder holding `.git`) and
        never looks above it: a soc2kit.yml outside the repository is not this repository's
        program. Outside any Git repository it stops at the home folder when the search starts
        below it, else at the filesystem root.
        Raises ProgramNotFoundError (a ConfigError: the CLI prints one line, exit 2).
    git_root(start) -> Path | None: the nearest folder from `start` upwards holding `.git`.

This module imports nothing of soc2kit but its errors, so every other module can use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from soc2kit.errors import ConfigError

CONFIG_FILE = "soc2kit.yml"


@dataclass(frozen=True, slots=True)
class ProgramFolder:
    """A top-level folder of a program and the documents it holds."""

    name: str
    kind: str
    suffixes: tuple[str, ...]
    markdown: bool
    """Markdown with YAML front-matter (policies, controls), or plain YAML (evidence records)."""


FOLDERS = (
    ProgramFolder("policies", "policy", (".md",), markdown=True),
    ProgramFolder("controls", "control", (".md",), markdown=True),
    ProgramFolder("evidence", "evidence", (".yaml", ".yml"), markdown=False),
    ProgramFolder("system", "system-part", (".md",), markdown=True),
)
EVIDENCE_DIR = "evidence"
RECORD_NAME = "record.yaml"
"""`evidence add` and `new evidence` write a record as `evidence/<CONTROL>/<record folder>/record.yaml`."""
SKIPPED_NAMES = frozenset({"README.md", "index.md"})
"""Names that are never program documents (folder guides), nor are names starting with `.` or `_`."""
REGISTERS_FOLDER = "registers"
SUBSERVICE_REGISTER = "registers/subservice-organizations.yml"
USER_ENTITY_CONTROLS_REGISTER = "registers/user-entity-controls.yml"
DEVIATIONS_REGISTER = "registers/deviations.yml"
REGISTERS = {
    SUBSERVICE_REGISTER: ProgramFolder("registers", "subservice-register", (".yml",), markdown=False),
    USER_ENTITY_CONTROLS_REGISTER: ProgramFolder("registers", "cuec-register", (".yml",), markdown=False),
    DEVIATIONS_REGISTER: ProgramFolder("registers", "deviation-register", (".yml",), markdown=False),
}
"""The registers read as program documents (one file each, plain YAML), by path. The change exceptions
register is not one of them: the change gate reads it from Git (soc2kit.change_exceptions)."""
PROGRAM_PATHS = (CONFIG_FILE, *(folder.name for folder in FOLDERS), *REGISTERS)
"""Everything that is the program: its config, its folders and its register files."""
MARKDOWN_FOLDERS = tuple(folder.name for folder in FOLDERS if folder.markdown)
CHANGE_EXCEPTIONS = "registers/change-exceptions.yml"
"""The change exceptions register in the program folder: past change findings accepted as decisions."""
PROGRAM_PATHSPEC = (CONFIG_FILE, *(folder.name for folder in FOLDERS), REGISTERS_FOLDER)
"""What Git is asked about for the program's history: its config and each of its folders whole, the
registers folder included (so the change exceptions register, and a register added later, are in
it). Folders rather than files: each pathspec costs git's path-limited walk about 4% more time."""
DOCUMENT_SUFFIXES = tuple(dict.fromkeys(suffix for folder in FOLDERS for suffix in folder.suffixes))
"""How the names of files read as documents end (soc2kit.yml, policies, controls, evidence records)."""


class ProgramNotFoundError(ConfigError):
    """No soc2kit.yml where the program was looked for. `start` is where the search began (or the
    folder given), `stop` the last folder it looked in, `explicit` whether the folder was given."""

    def __init__(self, message: str, *, start: Path, stop: Path, explicit: bool) -> None:
        self.start = start
        self.stop = stop
        self.explicit = explicit
        super().__init__(message)


def program_documents(root: Path) -> Iterator[tuple[str, ProgramFolder]]:
    """(POSIX path relative to `root`, its folder) of every program document, sorted per folder."""
    for folder in FOLDERS:
        top = root / folder.name
        if not top.is_dir():
            continue
        for relpath in sorted(_walk(top, folder.name)):
            name = relpath.rsplit("/", 1)[-1]
            if name.endswith(folder.suffixes) and name not in SKIPPED_NAMES:
                yield relpath, folder
    for relpath, register in REGISTERS.items():
        if os.path.lexists(root / relpath):  # a broken link or a folder in its place is reported when read
            yield relpath, register


def is_skipped_name(name: str) -> bool:
    return name in SKIPPED_NAMES or name.startswith((".", "_"))


def folder_of(path: str) -> ProgramFolder | None:
    """The folder whose document `path` (POSIX, relative to the program root) is, judged by the path
    alone: None for a path outside the folders, a skipped name, or a name with another suffix."""
    if path in REGISTERS:
        return REGISTERS[path]
    top, _, rest = path.partition("/")
    name = path.rpartition("/")[2]
    if not rest or is_skipped_name(name):
        return None
    for folder in FOLDERS:
        if folder.name == top:
            return folder if name.endswith(folder.suffixes) else None
    return None


def _walk(folder: Path, prefix: str) -> list[str]:
    # A list from one loop, not nested generators: each path of evidence/<control>/<record> was
    # otherwise handed up through every level (a tenth of a warm check at 10,000 documents).
    found: list[str] = []
    pending = [(os.fspath(folder), prefix)]
    while pending:
        path, relprefix = pending.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith((".", "_")):
                    continue
                relpath = f"{relprefix}/{name}"
                if entry.is_dir(follow_symlinks=False) and not name.endswith(DOCUMENT_SUFFIXES):
                    pending.append((entry.path, relpath))
                else:
                    found.append(relpath)
    return found


def find_program_root(start: str | os.PathLike[str] | None = None, *, explicit: bool) -> Path:
    """The program folder (absolute, symbolic links resolved); see the module doc for the search."""
    if explicit:
        if start is None:
            raise ValueError("an explicit program folder needs a path")
        given = Path(start)
        if not given.is_dir():
            raise ConfigError("is not a folder" if given.exists() else "does not exist", path=given)
        folder = given.resolve()
        if not (folder / CONFIG_FILE).is_file():
            raise ProgramNotFoundError(
                f"no {CONFIG_FILE} in {folder}; run soc2kit init there, or give the folder that holds {CONFIG_FILE}",
                start=folder,
                stop=folder,
                explicit=True,
            )
        return folder
    origin = Path.cwd() if start is None else Path(start)
    if not origin.is_dir():
        raise ConfigError("is not a folder" if origin.exists() else "does not exist", path=origin)
    origin = origin.resolve()
    home = _home()
    folder = origin
    while True:
        if (folder / CONFIG_FILE).is_file():
            return folder
        if (folder / ".git").exists():
            limit = "the Git root"
            break
        if folder == home:
            limit = "your home folder"
            break
        if folder.parent == folder:
            limit = "the filesystem root"
            break
        folder = folder.parent
    raise ProgramNotFoundError(
        f"no {CONFIG_FILE} in {origin} or any folder above it up to {limit}; run soc2kit init or pass --root",
        start=origin,
        stop=folder,
        explicit=False,
    )


def git_root(start: str | os.PathLike[str]) -> Path | None:
    """The nearest folder from `start` upwards that holds `.git` (a folder, or a file in a worktree
    or submodule), or None outside any Git repository."""
    folder = Path(start).resolve()
    while True:
        if (folder / ".git").exists():
            return folder
        if folder.parent == folder:
            return None
        folder = folder.parent


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError, OSError):  # no HOME and no password entry: search to the filesystem root
        return None
