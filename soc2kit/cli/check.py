"""`soc2kit check`."""

from __future__ import annotations

from pathlib import Path

import click

from soc2kit.cli.options import diagnostics_output, program_argument, progress, report_diagnostics


@click.command()
@program_argument
@diagnostics_output
@click.option("--no-cache", is_flag=True, help="Read every file again; neither read nor write the user cache folder.")
def check(path: Path, output_format: str, output: Path | None, no_cache: bool) -> int:
    """Check the program in PATH (default: the nearest folder upwards holding soc2kit.yml): every
    problem in one run, exit 1 on any error."""
    from soc2kit.loader import load_program
    from soc2kit.reading import default_jobs

    with progress("Checking the program", delay=1.0):
        program = load_program(path, use_cache=not no_cache, jobs=default_jobs())
    return report_diagnostics(
        program.diagnostics,
        documents=len(program.documents),
        output_format=output_format,
        output=output,
        root=program.root,
        usable=program.config_ok,
    )
