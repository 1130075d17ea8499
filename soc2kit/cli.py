"""The `soc2kit` command: parse options, call the library, print. Exit codes:
0 success, 1 findings of error severity, 2 usage error or unusable `soc2kit.yml`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from soc2kit import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Turn every soc2kit error into one `soc2kit: error: ...` line with exit 2, never a traceback."""
        from soc2kit.errors import Soc2kitError

        try:
            kwargs["standalone_mode"] = False
            return super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("soc2kit: aborted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except Soc2kitError as exc:
            click.echo(f"soc2kit: error: {exc}", err=True)
            sys.exit(EXIT_USAGE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="soc2kit", message="%(prog)s %(version)s")
def main() -> None:
    """SOC 2 policies, controls and evidence as code, kept in Git."""


@main.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github", "sarif"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations, sarif for code scanning.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to a file instead of stdout."
)
@click.option("--no-cache", is_flag=True, help="Read every file again instead of reusing .soc2kit-cache/.")
def check(path: Path, output_format: str, output: Path | None, no_cache: bool) -> None:
    """Check the program in PATH: every problem in one run, exit 1 on any error."""
    from soc2kit import diagnostics as fmt
    from soc2kit.program import load_program

    program = load_program(path, use_cache=not no_cache)
    found = program.diagnostics
    summary = fmt.Summary.of(found, documents=len(program.documents))
    if output_format == "json":
        report = fmt.format_json(found, summary, version=__version__)
    elif output_format == "github":
        report = fmt.format_github(found, summary)
    elif output_format == "sarif":
        report = fmt.format_sarif(found, version=__version__)
    else:
        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        report = fmt.format_text(found, summary, color=color)
    _emit(report, output)
    if output is not None or output_format == "sarif":
        click.echo(summary.line(), err=True)
    if not program.config_ok:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if summary.errors else EXIT_OK)


@main.command()
@click.option("--dir", "folder", default="schema", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if a schema file is stale.")
def schema(folder: Path, check_only: bool) -> None:
    """Write JSON Schemas for every file format into schema/."""
    from soc2kit.schema import stale_schemas, write_schemas

    if check_only:
        stale = stale_schemas(folder)
        for name in stale:
            click.echo(f"{folder / name}: stale; run `soc2kit schema`", err=True)
        sys.exit(EXIT_FINDINGS if stale else EXIT_OK)
    changed = write_schemas(folder)
    click.echo(f"{len(changed)} schema file(s) written to {folder}/" if changed else f"schemas in {folder}/ are up to date")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from soc2kit.cache import atomic_write_bytes

    atomic_write_bytes(output, text.encode("utf-8"))
