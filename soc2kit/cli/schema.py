"""`soc2kit schema`: the JSON Schemas editors validate with, and the schema lines that name them."""

from __future__ import annotations

from pathlib import Path

import click

from soc2kit.cli.options import EXIT_FINDINGS, EXIT_OK, shown


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Only this folder of schema files: write them (with --check: compare them).",
)
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if a schema line or schema file is stale.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="The program folder (holding soc2kit.yml). Default: the nearest folder upwards holding soc2kit.yml, up to the Git root.",
)
def schema(folder: Path | None, check_only: bool, root: Path | None) -> int:
    """Keep the program's schema lines, and its schema/ folder if it keeps one, current.

    Without --dir: every program file whose `# yaml-language-server: $schema=` line names another
    release's schema, each local schema folder such a line points into, and schema/ beside
    soc2kit.yml when the program keeps one (docs/editors.md).
    """
    from soc2kit.errors import UsageError
    from soc2kit.schema import check_program_schemas, kept_schema_folders, stale_schemas, update_schema_lines, write_schemas

    if folder is not None:
        if root is not None:
            raise UsageError("give --dir (one folder of schema files) or --root (a program), not both")
        if check_only:
            stale = stale_schemas(folder)
            for name in stale:
                click.echo(f"{shown(folder / name)}: stale; run `soc2kit schema --dir {shown(folder)}`", err=True)
            return EXIT_FINDINGS if stale else EXIT_OK
        changed = write_schemas(folder)
        click.echo(
            f"{len(changed)} schema file(s) written to {shown(folder)}/"
            if changed
            else f"schemas in {shown(folder)}/ are up to date"
        )
        return EXIT_OK

    from soc2kit.layout import find_program_root

    program = find_program_root(root, explicit=root is not None)
    report = check_program_schemas(program, kept_schema_folders(program))
    if check_only:
        for finding in report.findings:
            click.echo(f"{shown(finding.path)}:{finding.line}: {finding.message}; run `soc2kit schema`", err=True)
        if not report.findings:
            kept = "".join(f"; {shown(f)}/ is current" for f in report.folders)
            click.echo(f"{report.right} file(s) name this soc2kit's schemas{kept}")
        return EXIT_FINDINGS if report.findings else EXIT_OK
    lines = update_schema_lines(program)
    written = [(shown(f), write_schemas(f)) for f in report.folders]
    click.echo(f"{len(lines)} schema line(s) updated" + "".join(f"; {len(n)} schema file(s) written to {f}/" for f, n in written))
    return EXIT_OK
