"""`soc2kit matrix` (the control matrix, soc2kit.matrix) and `soc2kit assertion` (management's
assertion, soc2kit.assertion): the report outputs an auditor asks for outside the bundle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from soc2kit.cli.options import EXIT_OK, EXIT_USAGE, LibraryChoice, emit, iso_date, period, progress, root_option

if TYPE_CHECKING:
    from soc2kit.program import Program
    from soc2kit.readiness import View

_Command = TypeVar("_Command", bound=Callable[..., Any])
_VIEW_OPTIONS = (
    click.option("--as-of", callback=iso_date, help="Type I view: as of this date."),
    click.option("--period", callback=period, metavar="START..END", help="Type II view: over this period."),
)


def _view_options(command: _Command) -> _Command:
    for option in reversed(_VIEW_OPTIONS):
        command = option(command)
    return command


def _program_and_view(root: Path, as_of: date | None, over: tuple[date, date] | None) -> tuple[Program, View] | None:
    """The program and the view asked for, or None after saying on stderr why soc2kit.yml is unusable."""
    from soc2kit.layout import CONFIG_FILE
    from soc2kit.program import read_program
    from soc2kit.readiness import view_of
    from soc2kit.reading import default_jobs

    program = read_program(root, jobs=default_jobs())
    if not program.config_ok:
        for diag in program.diagnostics:
            if diag.code == "SK020" or (diag.path == CONFIG_FILE and diag.severity.value == "error"):
                click.echo(f"{diag.path}:{diag.line}: {diag.message}", err=True)
        click.echo("soc2kit: error: soc2kit.yml is not usable, so the audit and its scope are unknown", err=True)
        return None
    return program, view_of(program, as_of=as_of, period=over)


@click.command()
@root_option
@_view_options
@click.option(
    "--format",
    "output_format",
    type=LibraryChoice("soc2kit.matrix", "MATRIX_FORMATS"),
    default="csv",
    show_default=True,
    help="csv: one table (control-matrix, or control-windows with --windows); xlsx: a workbook holding both.",
)
@click.option("--windows", is_flag=True, help="CSV: the per-window table instead of the per-control one.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout (xlsx: required)."
)
def matrix(
    root: Path, as_of: date | None, period: tuple[date, date] | None, output_format: str, windows: bool, output: Path | None
) -> int:
    """The control matrix for the auditor: one row per criterion and control (description, test
    procedure, kind, automation, owner, frequency, policies), and one per control, requirement and run
    of windows (state, records with collector and arrival commit, or the deviation). Type I or II as
    soc2kit.yml says unless --as-of or --period is given. Exit 0, or 2 on a usage error."""
    from soc2kit.errors import UsageError

    if output_format == "xlsx" and windows:
        raise UsageError("--windows picks one table for CSV; the workbook holds both as sheets")
    if output_format == "xlsx" and output is None:
        raise UsageError("the workbook is binary: give --output FILE.xlsx")
    from soc2kit.history import load_history
    from soc2kit.matrix import build_matrix
    from soc2kit.readiness import assess

    with progress("Building the control matrix") as report:
        found = _program_and_view(root, as_of, period)
        if found is None:
            return EXIT_USAGE
        program, view = found
        history = load_history(program.root)
        if not history.available:
            click.echo(f"soc2kit: note: {history.note} The arrival commits are left empty.", err=True)
        readiness = assess(program, view, history=history, progress=lambda done, total: report("Assessing controls", done, total))
        built = build_matrix(program, readiness, history=history)
    if output_format == "xlsx":
        from soc2kit.files import write_file

        assert output is not None
        write_file(output, built.xlsx())
        return EXIT_OK
    files = built.csv_files()
    emit(files["control-windows.csv" if windows else "control-matrix.csv"].decode("utf-8"), output)
    return EXIT_OK


@click.command()
@root_option
@_view_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout.")
def assertion(root: Path, as_of: date | None, period: tuple[date, date] | None, output: Path | None) -> int:
    """Management's assertion (the report's Section II) in Markdown, filled from the program:
    organization, system, period or as-of date, categories, subservice organizations and complementary
    user entity controls. Exit 0, or 2 on a usage error."""
    from soc2kit.assertion import render_assertion

    found = _program_and_view(root, as_of, period)
    if found is None:
        return EXIT_USAGE
    emit(render_assertion(*found), output)
    return EXIT_OK
