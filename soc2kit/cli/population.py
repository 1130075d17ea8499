"""`soc2kit changes population`: the production change population of a product repository, read
from GitHub and recorded as CC8.1 evidence (soc2kit.change_population)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from soc2kit.cli.options import diagnostics_output, iso_date, period, report_diagnostics, root_option


@click.command("population")
@click.option("--repo", "repository", required=True, metavar="OWNER/NAME", help="The product repository on GitHub.")
@click.option(
    "--period",
    "days",
    required=True,
    callback=period,
    metavar="START..END",
    help="Days in the audit's time zone, like 2026-01-01..2026-03-31.",
)
@click.option("--branch", help="The branch changes reach (default: the repository's default branch).")
@click.option(
    "--control", help="The CC8.1 control to record it under (default: the one whose `repositories` names the repository)."
)
@click.option("--requirement", help="The control's evidence requirement for the population (default: its only one).")
@click.option(
    "--protection-requirement",
    help="The control's evidence requirement for the branch protection snapshot, when it is not the population's: "
    "the snapshot then gets a record of its own (default: the population's record holds it).",
)
@click.option("--collected", callback=iso_date, help="The record's collected day (default: today in the audit's time zone).")
@click.option(
    "--github-api-url",
    "api_url",
    metavar="URL",
    help="The GitHub REST API base URL, for GitHub Enterprise Server (default: $GITHUB_API_URL, else https://api.github.com).",
)
@root_option
@diagnostics_output
def population(
    repository: str,
    days: tuple[date, date],
    branch: str | None,
    control: str | None,
    requirement: str | None,
    protection_requirement: str | None,
    collected: date | None,
    api_url: str | None,
    root: Path,
    output_format: str,
    output: Path | None,
) -> int:
    """Record every change that reached the default branch of a product repository in the period:
    merged pull requests with their authors, approvals, required checks, merger and merge time, and
    commits pushed without a pull request; with a snapshot of the branch protection rules.

    Reads GitHub with the token in GITHUB_TOKEN (never written anywhere). The two JSON files become
    one evidence record of the control, or two with --protection-requirement; the same data gives the
    same bytes, and a rerun that finds an identical record writes nothing. Exit 1 when a change is unreviewed, self-approved or unchecked,
    2 when it cannot run.
    """
    from soc2kit.change_population import PopulationRequest, collect_population

    start, end = days
    request = PopulationRequest(
        repository=repository,
        start=start,
        end=end,
        branch=branch,
        control=control,
        requirement=requirement,
        protection_requirement=protection_requirement,
        api_url=api_url,
        collected=collected,
    )
    result = collect_population(root, request)
    for index, record in enumerate(result.records):
        verb = "Recorded" if record.written else "Already recorded"
        held = (
            f"{result.pull_requests} pull request{'' if result.pull_requests == 1 else 's'} and "
            f"{result.direct_commits} direct commit{'' if result.direct_commits == 1 else 's'}"
            if index == 0
            else "the branch protection snapshot"
        )
        click.echo(f"{verb} {record.record_id} in {record.record_path}: {held}", err=True)
        for path, digest in record.files:
            click.echo(f"  {path}  sha256 {digest}", err=True)
    return report_diagnostics(
        result.diagnostics,
        documents=result.pull_requests + result.direct_commits,
        output_format=output_format,
        output=output,
        root=root,
        unit="change",
        nothing_examined=f"no change reached {repository} in {start}..{end}",
    )
