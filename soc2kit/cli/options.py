"""What several commands share: option parsers, choices the library owns, and printing diagnostics
in every format. Commands return their exit code; the group's `main` ends the process with it."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from soc2kit import __version__

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

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


_REPORT = "soc2kit.report"
"""Where the shared reporting options (--quiet, --verbose, --select) wait in `ctx.meta` for
`report_diagnostics`, so that no command has to take and pass them on."""


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    chosen = ctx.meta.setdefault(_REPORT, {})
    if value and param.name in ("quiet", "verbose") and (chosen.get("quiet") or chosen.get("verbose")):
        raise click.UsageError("--quiet and --verbose contradict each other; give one")
    chosen[param.name] = value
    return value


def _rule_codes(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str] | None:
    from soc2kit.registry import find_rule

    if value is None:
        _remember(ctx, param, None)
        return None
    codes = set()
    for key in csv(value):
        rule = find_rule(key)
        if rule is None:
            raise click.BadParameter(f"{key!r} is not a rule code (SK501) or name (evidence-window-missing); see docs/rules.md")
        codes.add(rule.code)
    if not codes:
        raise click.BadParameter("name at least one rule code, like SK501")
    selected = frozenset(codes)
    _remember(ctx, param, selected)
    return selected


def diagnostics_output(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--format`, `-o/--output`, `-q/--quiet`, `-v/--verbose` and `--select`, the same for every
    command that reports diagnostics. Only `--format` and `--output` reach the command; the others
    reach `report_diagnostics` directly."""
    for option in (
        click.option(
            "--select",
            metavar="RULES",
            callback=_rule_codes,
            expose_value=False,
            help="Report only these rules (codes or names, comma-separated, like SK501,SK502); the exit code counts only them.",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            callback=_remember,
            expose_value=False,
            help="Text: every finding and every hint (by default a rule that fires many times shows its first few, then a count).",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            callback=_remember,
            expose_value=False,
            help="Print only the count per rule and the summary, and nothing at all when there is no error.",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the report to a file instead of stdout.",
        ),
        click.option(
            "--format",
            "output_format",
            type=LibraryChoice("soc2kit.diagnostics", "FORMATS"),
            default="text",
            show_default=True,
            help="text for people, json for tools, github for workflow annotations, sarif for code scanning.",
        ),
    ):
        command = option(command)
    return command


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
    sarif, where GitHub places them. `nothing_examined` says why, when `documents` is 0. The
    command's --quiet, --verbose and --select (see `diagnostics_output`) apply."""
    from soc2kit import diagnostics as fmt

    ctx = click.get_current_context()
    chosen = ctx.meta.get(_REPORT, {})
    quiet, verbose, select = chosen.get("quiet", False), chosen.get("verbose", False), chosen.get("select")
    if select is not None:
        found = [diag for diag in found if diag.code in select]
    summary = fmt.Summary.of(found, documents=documents, command=ctx.command_path, unit=unit, nothing_examined=nothing_examined)
    if output_format == "json":
        report = fmt.format_json(found, summary, version=__version__)
    elif output_format == "github":
        report = fmt.format_github(found, summary, path_prefix=repository_prefix(root))
    elif output_format == "sarif":
        report = fmt.format_sarif(found, version=__version__, path_prefix=repository_prefix(root))
    else:
        report = fmt.format_text(
            found,
            summary,
            color=use_color(output),
            quiet=quiet,
            verbose=verbose,
            # What --select names is what the user asked to see in full.
            shown_per_rule=None if select is not None else fmt.SHOWN_PER_RULE,
            list_all="add --select {code} to list them all",
        )
        if select is not None and not quiet:
            click.echo(f"soc2kit: note: only {', '.join(sorted(select))} reported (--select)", err=True)
    if report or output is not None:
        emit(report, output)
    if (output is not None or output_format == "sarif") and not (quiet and not summary.errors):
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
    """A path the user can open from where they are: relative to the current folder, and printable
    (a file name from the repository may hold escape sequences)."""
    from soc2kit.escaping import terminal

    try:
        return terminal(os.path.relpath(path))
    except ValueError:  # another drive (Windows): no relative path exists
        return terminal(str(path))


def emit(text: str, output: Path | None) -> None:
    """Print `text`, or write it atomically to `output`."""
    if output is None:
        click.echo(text, nl=False)
        return
    from soc2kit.files import write_file

    write_file(output, text)


Reporter = Callable[[str, "int | None", "int | None"], None]
"""What a progress display is told: what is being done, how much is done, and of how much (None: unknown)."""


@contextmanager
def progress(description: str, *, delay: float = 0.0) -> Iterator[Reporter]:
    """A rich progress bar on stderr while the block runs, when stderr is a terminal (and TERM is not
    `dumb`); otherwise nothing. It disappears when the block ends, so the report that follows stands
    alone. The reporter takes (description, done, total); with no total the bar pulses beside the
    elapsed time. `delay`: seconds before it appears, so a run that ends sooner shows nothing."""
    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield lambda _what, _done, _total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    display = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = display.add_task(description, total=None)

    def report(what: str, done: int | None, total: int | None) -> None:
        display.update(task, description=what, completed=done or 0, total=total)

    # Started from a timer so that a fast run never draws; joined before stopping so that a start
    # already under way cannot outlive the block.
    starter = threading.Timer(delay, display.start)
    starter.daemon = True
    starter.start()
    try:
        yield report
    finally:
        starter.cancel()
        starter.join()
        display.stop()


def complete_ids(kind: str) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """A shell-completion callback offering the IDs of the program's documents of `kind` ("control"
    or "policy") that start with what was typed. It reads only the `id:` line near the top of each
    file, never the whole program, and offers nothing when there is no program."""

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        from soc2kit.completion import document_ids

        given = ctx.params.get("root") or ctx.params.get("path")
        ids = document_ids(given if isinstance(given, Path) else None, kind)
        typed = incomplete.upper()
        return [CompletionItem(found) for found in ids if found.upper().startswith(typed)]

    return complete
