"""`soc2kit trail export`, `soc2kit changes check`, `soc2kit bundle` and `soc2kit diff`."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from pathlib import Path

import click

from soc2kit.cli.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    LibraryChoice,
    diagnostics_output,
    emit,
    iso_date,
    period,
    progress,
    report_diagnostics,
    root_option,
)


@click.group()
def trail() -> None:
    """The audit trail: every commit that touched the program."""


@trail.command("export")
@root_option
@click.option("--since", type=str, callback=iso_date, help="First committer day to include (ISO date, audit time zone).")
@click.option("--until", type=str, callback=iso_date, help="Last committer day to include (ISO date, audit time zone).")
@click.option(
    "--format", "output_format", type=LibraryChoice("soc2kit.trail", "TRAIL_FORMATS"), default="jsonl", show_default=True
)
@click.option("--rev", default="HEAD", show_default=True, help="Export the history of this revision instead of HEAD.")
@click.option("--first-parent", is_flag=True, help="Only the main line: merges and commits made on the branch itself.")
@click.option("--no-signatures", is_flag=True, help="Skip signature checks (git runs gpg or ssh-keygen per signed commit).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to FILE atomically, with FILE.meta.json beside it; default stdout.",
)
def export(
    root: Path,
    since: date | None,
    until: date | None,
    output_format: str,
    rev: str,
    first_parent: bool,
    no_signatures: bool,
    output: Path | None,
) -> None:
    """Export every commit that touched policies, controls, evidence or soc2kit.yml.

    Deterministic: the same repository gives byte-identical output. The export's sha256 is printed
    on stderr.
    """
    from soc2kit.trail import write_trail

    # To stdout, the export is the output, and a display would write between its lines.
    with progress("Exporting the trail") if output is not None else nullcontext():
        meta = write_trail(
            root,
            output,
            output_format=output_format,
            since=since,
            until=until,
            rev=rev,
            first_parent=first_parent,
            signatures=not no_signatures,
        )
    where = f" to {output}" if output is not None else ""
    noun = "commit" if meta.commits == 1 else "commits"
    click.echo(f"trail: {meta.commits} {noun} at {meta.head[:12]}{where}; sha256 {meta.sha256}", err=True)
    if meta.commits == 0:
        between = f" from {since or 'the first commit'} to {until or meta.head[:12]}" if since or until else ""
        click.echo(
            f"trail: note: no commit{between} touched soc2kit.yml, policies/, controls/ or evidence/ of the program in {root}",
            err=True,
        )


@click.group()
def changes() -> None:
    """The change-management gate (CC8.1)."""


@changes.command("check")
@root_option
@click.option("--branch", help="The main branch whose first-parent history is checked (default: the current branch, or main).")
@click.option("--since", type=str, callback=iso_date, help="Report only commits from this day on (ISO date, audit time zone).")
@click.option(
    "--repo",
    "repository",
    metavar="OWNER/NAME",
    help="The GitHub repository whose pull requests and reviews are read when GITHUB_TOKEN is set "
    "(default: $GITHUB_REPOSITORY, else the origin remote).",
)
@click.option(
    "--github-api-url",
    "api_url",
    metavar="URL",
    help="The GitHub REST API base URL, for GitHub Enterprise Server (default: $GITHUB_API_URL, else https://api.github.com).",
)
@diagnostics_output
def changes_check(
    root: Path,
    branch: str | None,
    since: date | None,
    repository: str | None,
    api_url: str | None,
    output_format: str,
    output: Path | None,
) -> int:
    """Every change to the program, its workflows and CODEOWNERS on the main branch came through a pull
    request approved by someone who wrote none of it, each commit judged by the settings in force
    before it. With GITHUB_TOKEN set (`pull-requests: read`), reviews are read from GitHub; without
    it, only Approved-by/Reviewed-by trailers count. Findings named in registers/change-exceptions.yml
    are shown as excepted. Exit 1 on any error finding, 2 when it cannot run."""
    from soc2kit.changes import check_changes
    from soc2kit.layout import CHANGE_EXCEPTIONS

    report = check_changes(root, branch=branch, since=since, repository=repository, api_url=api_url)
    from_day = f" on or after {report.since}" if report.since else ""
    excepted = sum(len(record.excepted) for record in report.changes)
    if excepted:
        noun = "finding" if excepted == 1 else "findings"
        click.echo(f"changes check: {excepted} {noun} excepted by {CHANGE_EXCEPTIONS}", err=True)
    return report_diagnostics(
        report.diagnostics,
        documents=report.commits,
        output_format=output_format,
        output=output,
        root=root,
        unit="commit",
        nothing_examined=f"no commit on {report.branch}{from_day} changed a gated path (the program, .github/workflows/, "
        f"CODEOWNERS) of the repository holding {root}",
    )


@click.command()
@root_option
@click.option(
    "--period", required=True, callback=period, metavar="START..END", help="The audit period, like 2026-01-01..2026-06-30."
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="The zip file to write.")
@click.option(
    "--include-failed-evidence",
    is_flag=True,
    help="Write the zip even when evidence of the period fails verification; FINDINGS.json and bundle.json list each failure.",
)
def bundle(root: Path, period: tuple[date, date], output: Path, include_failed_evidence: bool) -> int:
    """Build the auditor's zip for a period: trail to HEAD, control matrix, evidence, every policy version
    in force, the program at the period end, the report's parts (management's assertion, system
    description, subservice organizations, user entity controls, deviations), and a MANIFEST of sha256 digests. Deterministic: two runs
    give identical bytes. Exit 1, writing nothing, when evidence of the period fails verification."""
    from soc2kit.bundle import build_bundle

    start, end = period
    with progress("Building the bundle"):
        result = build_bundle(root, start, end, output, include_failed_evidence=include_failed_evidence)
    level = "warning" if result.written else "error"
    for failed in result.failed:
        for finding in failed.findings:
            where = f"{failed.record} ({failed.path}:{finding.line})"
            click.echo(f"bundle: {level}: {where}: {finding.code} {finding.message}", err=True)
    if not result.written:
        count = len(result.failed)
        click.echo(
            f"bundle: no zip written: {count} evidence record{'s' if count != 1 else ''} of the period "
            f"fail{'' if count != 1 else 's'} verification; fix {'them' if count != 1 else 'it'} "
            "(`soc2kit evidence verify` says how), or pass --include-failed-evidence to hand "
            f"{'them' if count != 1 else 'it'} over listed in FINDINGS.json",
            err=True,
        )
        return EXIT_FINDINGS
    click.echo(f"bundle: {result.entries} entries written to {result.path}; sha256 {result.sha256}")
    for path in result.missing:
        click.echo(f"bundle: warning: evidence file {path} is not in the repository at HEAD", err=True)
    for path in result.outside:
        click.echo(f"bundle: warning: evidence path {path} leaves the repository and was left out", err=True)
    return EXIT_OK


@click.command()
@click.argument("base")
@click.argument("head", required=False)
@root_option
@click.option("--format", "output_format", type=LibraryChoice("soc2kit.diff", "DIFF_FORMATS"), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout.")
def diff(base: str, head: str | None, root: Path, output_format: str, output: Path | None) -> None:
    """What the change from BASE to HEAD does to the program (HEAD omitted: the work tree).

    BASE and HEAD are commits, tags, branches or ISO dates. --format md writes a pull-request summary.
    """
    from soc2kit.diff import diff_revisions, format_diff

    emit(format_diff(diff_revisions(root, base, head), output_format), output)
