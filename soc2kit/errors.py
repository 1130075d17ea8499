"""Exceptions for runs that cannot go on. Findings are `Diagnostic` values, not exceptions."""

from __future__ import annotations

from pathlib import Path


class Soc2kitError(Exception):
    """Base of every error soc2kit raises on purpose; the CLI prints it as one line, exit 2."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self.location_prefix() + message)

    def location_prefix(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}: " if self.line else f"{self.path}: "


class ConfigError(Soc2kitError):
    """`soc2kit.yml` is missing, unreadable or invalid, so the program's scope is unknown."""


class UsageError(Soc2kitError):
    """A command was called with arguments that cannot work (a path outside the repo, a bad date)."""
