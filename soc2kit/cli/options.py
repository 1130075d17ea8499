"""What several commands share: option parsers, choices the library owns, and printing diagnostics
in every format. Commands return their exit code; the group's `main` ends the process with it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from soc2kit import __version__

if TYPE_CHECKING:
    from soc2kit.diagnostics import Diagnostic

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class LibraryChoice(click.Choice[str]):
    """A choice whose values a library module owns (`module.NAME`), imported only when the option is
    parsed or its help is shown, so that `soc2kit --help` and the other commands start without it."""

    def __init__(self, module: str, name: str) -> None:
        self._source = (module, name)
        self.case_sensitive = True

    @property
    def choices(self) -> Sequence[str]:
        module, name = self._source
        return tuple(getattr(import_module(module), name))

    @choices.setter
    def choices(self, _values: Sequence[str]) -> None:
        raise AttributeError("the library owns these choices")


def _program_root(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    from soc2kit.layout import find_program_root

    return find_program_root(value, explicit=value is not None)


root_option = click.option(
    "--root",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    callback=_program_root,
    help="The program folder (holding soc2kit.yml). Default: the nearest folder upwards holding soc2kit.yml, up to the Git root.",
)
"""`--root DIR`, for every command that takes the program folder as an option; the command gets the found folder."""

program_argument = click.argument(
    "path", required=False, type=click.Path(file_okay=False, path_type=Path), callback=_program_root
)
"""`[PATH]`, for the commands that take the program folder as an argument (check, status); found as `--root` is."""


def use_color(output: Path | None) -> bool:
    """Color only for a terminal on stdout, and never when NO_COLOR is set (no-color.org)."""
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """Click callback: a strict ISO date (YYYY-MM-DD) or None."""
    return None if value is None else _parsed(value, "parse_date")


def period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[date, date] | None:
    """Click callback: `START..END`, strict ISO dates, START on or before END, or None."""
    return None if value is None else _parsed(value, "parse_period")


def _parsed(value: str, parser: str) -> Any:
    from soc2kit import periods
    from soc2kit.errors import UsageError

    try:
        return getattr(periods, parser)(value)
    except UsageError as exc:
        raise click.BadParameter(exc.message) from None


def csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def diagnostics_output(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--format` and `-o/--output`, the same for every command that reports diagnostics."""
    command = click.option(
        "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to a file instead of stdout."
    )(command)
    return click.option(
        "--format",
        "output_format",
        type=LibraryChoice("soc2kit.diagnostics", "FORMATS"),
        default="text",
        show_default=True,
        help="text for people, json for tools, github for workflow annotations, sarif for code scanning.",
    )(command)


def report_diagnostics(
    found: Sequence[Diagnostic],
    *,
    documents: int,
    output_format: str,
    output: Path | None,
    root: Path,
    usable: bool = True,
    unit: str = "document",
    nothing_examined: str = "",
) -> int:
    """Print (or write) the report; return the exit code: 0 clean, 1 any error finding, 2 when the input was unusable.

    Paths are relative to the program `root` in text and json, and to the Git root in github and
    sarif, where GitHub places them. `nothing_examined` says why, when `documents` is 0."""
    from soc2kit import diagnostics as fmt

    command = click.get_current_context().command_path
    summary = fmt.Summary.of(found, documents=documents, command=command, unit=unit, nothing_examined=nothing_examined)
    if output_format == "json":
        report = fmt.format_json(found, summary, version=__version__)
    elif output_format == "github":
        report = fmt.format_github(found, summary, path_prefix=repository_prefix(root))
    elif output_format == "sarif":
        report = fmt.format_sarif(found, version=__version__, path_prefix=repository_prefix(root))
    else:
        report = fmt.format_text(found, summary, color=use_color(output))
    emit(report, output)
    if output is not None or output_format == "sarif":
        click.echo(summary.line(), err=True)
    if not usable:
        return EXIT_USAGE
    return EXIT_FINDINGS if summary.errors else EXIT_OK


def repository_prefix(root: Path) -> str:
    """Where the program folder is inside its Git repository: "" at the Git root or outside Git, else "sub/dir/"."""
    from soc2kit.layout import git_root

    top = git_root(root)
    if top is None:
        return ""
    inside = root.resolve().relative_to(top).as_posix()
    return "" if inside == "." else f"{inside}/"


def shown(path: Path) -> str:
    """A path the user can open from where they are: relative to the current folder."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows): no relative path exists
        return str(path)


def emit(text: str, output: Path | None) -> None:
    """Print `text`, or write it atomically to `output`."""
    if output is None:
        click.echo(text, nl=False)
        return
    from soc2kit.files import write_file

    write_file(output, text)
