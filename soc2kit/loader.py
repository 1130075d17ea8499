"""Loading a program: reading it and, unless told not to, checking it (`soc2kit.check`)."""

from __future__ import annotations

import os
from datetime import date

from soc2kit.check import DOCUMENT_CHECK, check_program
from soc2kit.cycle_collection import cycle_collection_paused
from soc2kit.program import Program, read_program, read_unsaved


def load_program(
    root: str | os.PathLike[str] = ".", *, check: bool = True, today: date | None = None, use_cache: bool = True, jobs: int = 1
) -> Program:
    """Read every program file under `root`, cross-link it and, with `check`, run every rule.

    Never raises for bad content: problems are `program.diagnostics` (with `check=False`, only
    reading's own; see `read_program`). A broken `soc2kit.yml` sets `program.config_ok` to False
    (the CLI exits 2) and the rest is still checked against a security-only scope. Raises
    `ConfigError` only when `root` is not a folder.

    Writes nothing into the program folder: with `use_cache` the cache is in the user's cache
    folder. Forks no process unless `jobs` > 1 (then a cold read of many files uses that many).
    """
    if not check:
        return read_program(root, today=today, use_cache=use_cache, jobs=jobs)
    with cycle_collection_paused():
        program = read_unsaved(root, today=today, use_cache=use_cache, jobs=jobs, document_check=DOCUMENT_CHECK)
        check_program(program)
        return program
