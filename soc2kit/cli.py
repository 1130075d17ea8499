"""The `soc2kit` command: parse options, call the library, print. Exit codes:
0 success, 1 findings of error severity, 2 usage error or unusable `soc2kit.yml`."""

from __future__ import annotations

import os
import sys
from datetime import date
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


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else date.fromisoformat("invalid")
    except ValueError:
        raise click.BadParameter(f"'{value}' is not an ISO date like 2026-01-31") from None


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@main.command()
@click.argument("directory", default=".", type=click.Path(path_type=Path))
@click.option("--org", "organization", default="Example Inc.", show_default=True, help="The organization's name.")
@click.option("--system", default="Example Platform", show_default=True, help="The system the audit covers.")
@click.option(
    "--categories",
    default="security",
    show_default=True,
    help="Comma-separated: security, availability, confidentiality, processing-integrity, privacy.",
)
@click.option("--type", "audit_type", type=click.Choice(["type1", "type2"]), default="type1", show_default=True)
@click.option("--as-of", callback=_date, help="Type I: the date the design is assessed at (default: today).")
@click.option("--period-start", callback=_date, help="Type II: first day of the observation period.")
@click.option("--period-end", callback=_date, help="Type II: last day of the observation period.")
@click.option("--force", is_flag=True, help="Allow a non-empty directory (existing files are never overwritten).")
@click.option("--no-git", is_flag=True, help="Do not run git init and make the first commit.")
def init(
    directory: Path,
    organization: str,
    system: str,
    categories: str,
    audit_type: str,
    as_of: date | None,
    period_start: date | None,
    period_end: date | None,
    force: bool,
    no_git: bool,
) -> None:
    """Create a new compliance repository in DIRECTORY from the starter program."""
    from soc2kit.scaffold import InitOptions, init_program

    options = InitOptions(
        organization=organization,
        system=system,
        categories=_csv(categories),
        audit_type=audit_type,
        as_of=as_of,
        period_start=period_start,
        period_end=period_end,
        force=force,
        git=not no_git,
    )
    result = init_program(directory, options)
    click.echo(
        f"Created a SOC 2 program for {organization} in {result.root}: {result.policies} policies (as drafts), {result.controls} controls."
    )
    if result.dropped_controls:
        click.echo(
            f"Left out {len(result.dropped_controls)} controls whose criteria are all out of scope: {', '.join(result.dropped_controls)}"
        )
    if result.dropped_policies:
        click.echo(
            f"Left out {len(result.dropped_policies)} policies no kept control implements: {', '.join(result.dropped_policies)}"
        )
    if result.commit:
        click.echo(f"First commit: {result.commit[:12]}")
    click.echo("Next: review and approve the policies, then run `soc2kit check`.")


@main.group()
def new() -> None:
    """Create one policy, control or evidence record from a template, with the next free ID."""


_root_option = click.option(
    "--root",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The program folder.",
)


@new.command("policy")
@click.option("--title", required=True, help='For example "Data Loss Prevention Policy".')
@click.option("--id", "policy_id", help="Default: POL- and the title's initials.")
@click.option("--owner", default="Head of Security", show_default=True)
@click.option("--approver", default="CTO", show_default=True)
@_root_option
def new_policy_command(title: str, policy_id: str | None, owner: str, approver: str, root: Path) -> None:
    """Create a draft policy with every standard section."""
    from soc2kit.scaffold import NewPolicy, new_policy

    path = new_policy(root, NewPolicy(title=title, owner=owner, approver=approver, policy_id=policy_id), today=date.today())
    click.echo(f"Created {path}")


@new.command("control")
@click.option("--title", required=True)
@click.option("--prefix", required=True, help="ID prefix such as AC; the next free number is used (AC-14).")
@click.option("--criteria", required=True, help="Comma-separated criterion IDs, such as CC6.1,CC6.2.")
@click.option("--policy", "policies", multiple=True, help="A policy the control implements (repeatable).")
@click.option("--owner", default="Head of Security", show_default=True)
@click.option("--frequency", default="quarterly", show_default=True)
@click.option("--kind", type=click.Choice(["preventive", "detective", "corrective"]), default="detective", show_default=True)
@click.option("--automation", type=click.Choice(["manual", "automated", "hybrid"]), default="manual", show_default=True)
@_root_option
def new_control_command(
    title: str,
    prefix: str,
    criteria: str,
    policies: tuple[str, ...],
    owner: str,
    frequency: str,
    kind: str,
    automation: str,
    root: Path,
) -> None:
    """Create a control with Description and Test procedure sections."""
    from soc2kit.scaffold import NewControl, new_control

    spec = NewControl(
        title=title,
        prefix=prefix,
        criteria=_csv(criteria),
        policies=policies,
        owner=owner,
        frequency=frequency,
        kind=kind,
        automation=automation,
    )
    click.echo(f"Created {new_control(root, spec)}")


@new.command("evidence")
@click.argument("control")
@click.option("--requirement", help="Default: the control's first evidence requirement.")
@click.option("--collected", callback=_date, help="Default: today.")
@click.option("--collector", default=lambda: os.environ.get("USER", "unknown"), help="Who collected it (default: $USER).")
@_root_option
def new_evidence_command(control: str, requirement: str | None, collected: date | None, collector: str, root: Path) -> None:
    """Create an evidence record for CONTROL (list its files, or use `soc2kit evidence add`)."""
    from soc2kit.scaffold import new_evidence

    path = new_evidence(root, control, requirement=requirement, collected=collected or date.today(), collector=collector)
    click.echo(f"Created {path}")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from soc2kit.cache import atomic_write_bytes

    atomic_write_bytes(output, text.encode("utf-8"))
