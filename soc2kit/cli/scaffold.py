"""`soc2kit init` and `soc2kit new policy|control|evidence`."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from soc2kit.cli.options import complete_ids, csv, iso_date, root_option, shown

if TYPE_CHECKING:
    from soc2kit.starter import InitOptions


@click.command()
@click.argument("directory", default=".", type=click.Path(path_type=Path))
@click.option("--org", "organization", default="Example Inc.", show_default=True, help="The organization's name.")
@click.option(
    "--system",
    help="The system the audit covers (the product or service). Asked for when stdin is a terminal; "
    "otherwise soc2kit.yml gets a placeholder that `soc2kit check` reports until it is named.",
)
@click.option(
    "--categories",
    default="security",
    show_default=True,
    help="Comma-separated: security, availability, confidentiality, processing-integrity, privacy.",
)
@click.option(
    "--type",
    "audit_type",
    default="type1",
    show_default=True,
    help="type1 (design as of a date) or type2 (operation over a period).",
)
@click.option("--as-of", callback=iso_date, help="Type I: the date the design is assessed at (default: today).")
@click.option("--period-start", callback=iso_date, help="Type II: first day of the observation period.")
@click.option("--period-end", callback=iso_date, help="Type II: last day of the observation period.")
@click.option("--force", is_flag=True, help="Allow a non-empty directory (existing files are never overwritten).")
@click.option("--no-git", is_flag=True, help="Do not run git init and make the first commit.")
def init(
    directory: Path,
    organization: str,
    system: str | None,
    categories: str,
    audit_type: str,
    as_of: date | None,
    period_start: date | None,
    period_end: date | None,
    force: bool,
    no_git: bool,
) -> None:
    """Create a new compliance repository in DIRECTORY from the starter program: the program, the
    policy portal, the GitHub workflows, the pre-commit configuration and a README."""
    import sys

    from soc2kit.starter import init_program, validate_init

    if system is None and sys.stdin.isatty():
        # Only a person at a terminal is asked; a script or CI gets the placeholder, never a hang.
        validate_init(
            _options(organization, None, categories, audit_type, as_of, period_start, period_end, force, no_git),
            today=date.today(),
        )
        system = click.prompt(
            "The system the audit covers (the product or service; empty to name it later)", default="", show_default=False
        )
    system = (system or "").strip() or None
    options = _options(organization, system, categories, audit_type, as_of, period_start, period_end, force, no_git)
    result = init_program(directory, options)
    click.echo(
        f"Created a SOC 2 program for {organization} in {result.root}: {result.policies} policies (as drafts), {result.controls} controls."
    )
    click.echo(_audit_type_note(options))
    if system is None:
        click.echo("The system the audit covers is not named yet: set `system: name:` in soc2kit.yml (check warns, SK022).")
    for path in result.kept:
        click.echo(f"Left {shown(path)} alone: it already exists (soc2kit's own version was not written).")
    _report_dropped(result.dropped_controls, result.dropped_policies)
    if result.commit and result.repository is not None and result.repository != result.root:
        click.echo(
            f"Committed the program's files to the enclosing Git repository {result.repository}: {result.commit[:12]}"
            " (nothing else it had staged was committed)"
        )
    elif result.commit:
        click.echo(f"First commit: {result.commit[:12]}")
    click.echo("Next: read README.md, review and approve the policies, run `soc2kit check`, then push (docs/adopting.md).")


def _audit_type_note(options: InitOptions) -> str:
    """Which examination soc2kit.yml names, what it tests and how to choose the other one."""
    if options.audit_type == "type1":
        return (
            f"Audit: Type I as of {options.as_of or date.today()}: the design of each control is tested as of that date (policy, owner, "
            "procedure, a design record); no evidence windows are demanded. For a Type II (operation over a 3 to 12 month "
            "period) set `audit: {type: type2, period: {start: ..., end: ...}}` in soc2kit.yml."
        )
    return (
        f"Audit: Type II over {options.period_start}..{options.period_end}: the design of each control, and evidence that "
        "it operated in every window of its frequency over the period. Design records of an earlier Type I carry forward."
    )


def _options(
    organization: str,
    system: str | None,
    categories: str,
    audit_type: str,
    as_of: date | None,
    period_start: date | None,
    period_end: date | None,
    force: bool,
    no_git: bool,
) -> InitOptions:
    from soc2kit.starter import InitOptions

    return InitOptions(
        organization=organization,
        system=system,
        categories=csv(categories),
        audit_type=audit_type,
        as_of=as_of,
        period_start=period_start,
        period_end=period_end,
        force=force,
        git=not no_git,
    )


def _report_dropped(controls: list[str], policies: list[str]) -> None:
    if controls:
        click.echo(f"Left out {len(controls)} controls whose criteria are all out of scope: {', '.join(controls)}")
    if policies:
        click.echo(f"Left out {len(policies)} policies no kept control implements: {', '.join(policies)}")


@click.group()
def new() -> None:
    """Create one policy, control or evidence record from a template, with the next free ID."""


@new.command("policy")
@click.option("--title", required=True, help='For example "Data Loss Prevention Policy".')
@click.option("--id", "policy_id", help="Default: POL- and the title's initials.")
@click.option("--owner", default="Head of Security", show_default=True)
@click.option("--approver", default="CTO", show_default=True)
@root_option
def new_policy_command(title: str, policy_id: str | None, owner: str, approver: str, root: Path) -> None:
    """Create a draft policy with every standard section."""
    from soc2kit.new import NewPolicy, new_policy

    path = new_policy(root, NewPolicy(title=title, owner=owner, approver=approver, policy_id=policy_id), today=date.today())
    click.echo(f"Created {shown(path)}")


@new.command("control")
@click.option("--title", required=True)
@click.option("--prefix", required=True, help="ID prefix such as AC; the next free number is used (AC-14).")
@click.option("--criteria", required=True, help="Comma-separated criterion IDs, such as CC6.1,CC6.2.")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    shell_complete=complete_ids("policy"),
    help="A policy the control implements (repeatable).",
)
@click.option("--owner", default="Head of Security", show_default=True)
@click.option("--frequency", default="quarterly", show_default=True)
@click.option("--kind", type=click.Choice(["preventive", "detective", "corrective"]), default="detective", show_default=True)
@click.option("--automation", type=click.Choice(["manual", "automated", "hybrid"]), default="manual", show_default=True)
@root_option
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
    from soc2kit.new import NewControl, new_control

    spec = NewControl(
        title=title,
        prefix=prefix,
        criteria=csv(criteria),
        policies=policies,
        owner=owner,
        frequency=frequency,
        kind=kind,
        automation=automation,
    )
    click.echo(f"Created {shown(new_control(root, spec))}")


@new.command("evidence")
@click.argument("control", shell_complete=complete_ids("control"))
@click.option("--requirement", help="Default: the control's first evidence requirement.")
@click.option("--collected", callback=iso_date, help="Default: today.")
@click.option("--collector", default=lambda: os.environ.get("USER", "unknown"), help="Who collected it (default: $USER).")
@click.option(
    "--purpose",
    type=click.Choice(["operating", "design"]),
    default="operating",
    show_default=True,
    help="design: a design record (walkthrough notes, a configuration screenshot), which satisfies no evidence window.",
)
@root_option
def new_evidence_command(
    control: str, requirement: str | None, collected: date | None, collector: str, purpose: str, root: Path
) -> None:
    """Create an evidence record for CONTROL (list its files, or use `soc2kit evidence add`)."""
    from soc2kit.new import new_evidence

    path = new_evidence(
        root,
        control,
        requirement=requirement,
        collected=collected or date.today(),
        collector=collector,
        purpose="design" if purpose == "design" else "operating",
    )
    click.echo(f"Created {shown(path)}")
