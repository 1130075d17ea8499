"""`soc2kit check` and `soc2kit schema`."""

from __future__ import annotations

from pathlib import Path

import click

from soc2kit.cli.options import EXIT_FINDINGS, EXIT_OK, diagnostics_output, program_argument, report_diagnostics


@click.command()
@program_argument
@diagnostics_output
@click.option("--no-cache", is_flag=True, help="Read every file again; neither read nor write the user cache folder.")
def check(path: Path, output_format: str, output: Path | None, no_cache: bool) -> int:
    """Check the program in PATH (default: the nearest folder upwards holding soc2kit.yml): every
    problem in one run, exit 1 on any error."""
    from soc2kit.loader import load_program
    from soc2kit.reading import default_jobs

    program = load_program(path, use_cache=not no_cache, jobs=default_jobs())
    return report_diagnostics(
        program.diagnostics,
        documents=len(program.documents),
        output_format=output_format,
        output=output,
        root=program.root,
        usable=program.config_ok,
    )


@click.command()
@click.option("--dir", "folder", default="schema", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if a schema file is stale.")
def schema(folder: Path, check_only: bool) -> int:
    """Write JSON Schemas for every file format into schema/."""
    from soc2kit.schema import stale_schemas, write_schemas

    if check_only:
        stale = stale_schemas(folder)
        for name in stale:
            click.echo(f"{folder / name}: stale; run `soc2kit schema`", err=True)
        return EXIT_FINDINGS if stale else EXIT_OK
    changed = write_schemas(folder)
    click.echo(f"{len(changed)} schema file(s) written to {folder}/" if changed else f"schemas in {folder}/ are up to date")
    return EXIT_OK
