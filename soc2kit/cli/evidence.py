"""`soc2kit evidence add` and `soc2kit evidence verify`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import click

from soc2kit.cli.options import complete_ids, diagnostics_output, iso_date, period, report_diagnostics, root_option


@click.group()
def evidence() -> None:
    """Add evidence files with their sha256, and verify every recorded file."""


@evidence.command("add")
@click.argument("control", shell_complete=complete_ids("control"))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--requirement", help="The control's evidence requirement (default: its only one).")
@click.option("--collected", callback=iso_date, help="The day it was collected (default: today in the audit's time zone).")
@click.option("--covers", callback=period, metavar="START..END", help="The period of operation it shows.")
@click.option("--note", help="Free text kept in the record.")
@click.option(
    "--purpose",
    type=click.Choice(["operating", "design"]),
    default="operating",
    show_default=True,
    help="design: the files show how the control is built (walkthrough notes, a configuration screenshot); "
    "they count for its design and satisfy no evidence window.",
)
@click.option("--collector", help="Who collected it (default: Git's user.email, else the login name).")
@click.option("--commit", is_flag=True, help="Commit the new record and files, with Evidence-For and Evidence-Id trailers.")
@click.option("--allow-secrets", is_flag=True, help="With --commit: commit even files that look like they hold secrets.")
@root_option
def add(
    control: str,
    files: tuple[Path, ...],
    requirement: str | None,
    collected: date | None,
    covers: tuple[date, date] | None,
    note: str | None,
    purpose: Literal["operating", "design"],
    collector: str | None,
    commit: bool,
    allow_secrets: bool,
    root: Path,
) -> None:
    """Copy FILES into evidence/CONTROL/ and write their evidence record, all or nothing."""
    from soc2kit.evidence import AddRequest, add_evidence

    request = AddRequest(
        control=control,
        files=files,
        requirement=requirement,
        collected=collected,
        covers=covers,
        note=note,
        purpose=purpose,
        collector=collector,
        commit=commit,
        allow_secrets=allow_secrets,
    )
    result = add_evidence(root, request)
    for added, secret in result.secrets:
        click.echo(
            f"soc2kit: warning: {added.source} ({secret.where()}) looks like it contains {secret.kind}; "
            "evidence should hold no secrets: redact the file and record it again",
            err=True,
        )
    for note_text in result.notes:
        click.echo(f"soc2kit: note: {note_text}", err=True)
    click.echo(f"Recorded {result.record_id} in {result.record_path}")
    for added in result.files:
        lfs = "  (Git LFS pointer: its oid)" if added.lfs else ""
        click.echo(f"  {added.path}  sha256 {added.sha256}{lfs}")
    if result.commit:
        click.echo(f"Committed {result.commit[:12]}")


@evidence.command("verify")
@root_option
@click.option("--no-cache", is_flag=True, help="Hash every file again instead of reusing unchanged results.")
@click.option("--no-history", is_flag=True, help="Skip the Git history checks (changed after commit, back-dated, uncommitted).")
@diagnostics_output
def verify(root: Path, no_cache: bool, no_history: bool, output_format: str, output: Path | None) -> int:
    """Recompute every evidence digest; report missing, changed and unrecorded files, and with Git
    history evidence changed after it was committed, back-dated or not committed yet."""
    from soc2kit.diagnostics import apply_severities
    from soc2kit.evidence import verify_evidence
    from soc2kit.loader import load_program
    from soc2kit.reading import default_jobs

    program = load_program(root, use_cache=not no_cache, jobs=default_jobs())
    history = None
    if not no_history:
        from soc2kit.history import load_history

        history = load_history(program.root)
        if not history.available:
            click.echo(f"soc2kit: note: {history.note} The history checks (SK406-SK408, SK410) did not run.", err=True)
        elif history.note:
            click.echo(f"soc2kit: warning: {history.note}", err=True)
    found = apply_severities(verify_evidence(program, history), program.config.rules)
    documents = sum(1 for doc in program.documents.values() if doc.kind == "evidence")
    return report_diagnostics(
        found,
        documents=documents,
        output_format=output_format,
        output=output,
        root=program.root,
        usable=program.config_ok,
        unit="evidence record",
        nothing_examined=f"the program in {program.root} has no evidence records under evidence/",
    )
