"""`soc2kit status`: the readiness overview (soc2kit.readiness), and auditor population lists
with reproducible samples (soc2kit.population), printed by soc2kit.status_report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from soc2kit.cli.options import (
    EXIT_OK,
    EXIT_USAGE,
    LibraryChoice,
    complete_ids,
    emit,
    iso_date,
    period,
    program_argument,
    progress,
    use_color,
)


@click.command()
@program_argument
@click.option("--as-of", callback=iso_date, help="Type I view: design as of this date.")
@click.option("--period", callback=period, metavar="START..END", help="Type II view: design and operation over this period.")
@click.option(
    "--format",
    "output_format",
    type=LibraryChoice("soc2kit.status_report", "STATUS_FORMATS"),
    default="table",
    show_default=True,
    help="table for people, json for tools and the portal, md for a Markdown report.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=20, show_default=True, help="Rows per list in table and md (0: all)."
)
@click.option(
    "--population",
    "population_of",
    metavar="CONTROL",
    shell_complete=complete_ids("control"),
    help="List every item of CONTROL's population in the period.",
)
@click.option("--sample", "sample_size", type=int, help="With --population: draw a reproducible sample of N items.")
@click.option("--seed", help="With --sample: the seed (any text); the same seed gives the same sample.")
@click.option("--no-cache", is_flag=True, help="Read every file again; neither read nor write the user cache folder.")
def status(
    path: Path,
    as_of: date | None,
    period: tuple[date, date] | None,
    output_format: str,
    output: Path | None,
    limit: int,
    population_of: str | None,
    sample_size: int | None,
    seed: str | None,
    no_cache: bool,
) -> int:
    """Readiness of the program in PATH (default: found upwards, as for check): score, design and
    operation counts, bars per category and series, gaps, missing and stale evidence, exceptions
    noted (approved deviations) and criteria resting on subservice organizations.

    Type I (design as of a date, no evidence windows) or Type II (design and operation over a
    period), as soc2kit.yml says unless --as-of or --period is given. Exit 0 with the report, 2 on
    a usage error or an unusable soc2kit.yml.
    """
    from soc2kit.errors import UsageError

    if sample_size is not None and population_of is None:
        raise UsageError("--sample draws from a population: add --population CONTROL")
    if sample_size is not None and seed is None:
        raise UsageError("--sample needs --seed: the seed makes the sample reproducible, and the auditor should choose it")
    if seed is not None and sample_size is None:
        raise UsageError("--seed only applies with --sample N")

    from soc2kit.layout import CONFIG_FILE
    from soc2kit.program import read_program
    from soc2kit.readiness import assess, view_of
    from soc2kit.reading import default_jobs
    from soc2kit.status_report import population_text, readiness_text

    with progress("Reading the program") as report:
        program = read_program(path, use_cache=not no_cache, jobs=default_jobs())
        if not program.config_ok:
            for diag in program.diagnostics:
                if diag.code == "SK020" or (diag.path == CONFIG_FILE and diag.severity.value == "error"):
                    click.echo(f"{diag.path}:{diag.line}: {diag.message}", err=True)
            click.echo("soc2kit: error: soc2kit.yml is not usable, so the audit and its scope are unknown", err=True)
            return EXIT_USAGE
        view = view_of(program, as_of=as_of, period=period)
        if population_of is not None:
            if view.period is None:
                raise UsageError("a population is listed over a period: give --period START..END (the view is Type I)")
            from soc2kit.population import population, sample

            report(f"Reading the Git history of {population_of}", None, None)
            found = population(program, population_of, *view.period)
            sampled = sample(found.items, sample_size, seed or "") if sample_size is not None else None
            text = population_text(found, sampled, seed, output_format)
        else:
            history = None
            if program.evidence:  # a record counts only when Git shows it unchanged and not back-dated
                from soc2kit.history import load_history

                report("Reading the Git history of the evidence", None, None)
                history = load_history(program.root)
                if not history.available:
                    click.echo(f"soc2kit: note: {history.note} Evidence was verified against its files only.", err=True)
            readiness = assess(
                program, view, history=history, progress=lambda done, total: report("Assessing controls", done, total)
            )
            text = readiness_text(readiness, output_format, limit=limit, color=use_color(output))
    emit(text, output)
    return EXIT_OK
