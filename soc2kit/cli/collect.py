"""`soc2kit collect`: run the collectors the controls name and record their snapshots as evidence
(soc2kit.collect)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from soc2kit.cli.options import EXIT_FINDINGS, EXIT_OK, complete_ids, emit, period, root_option, use_color


@click.command("collect")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--control",
    "controls",
    multiple=True,
    metavar="ID",
    shell_complete=complete_ids("control"),
    help="Collect only for this control (repeat for several; default: every control naming a collector).",
)
@click.option(
    "--period",
    "days",
    callback=period,
    metavar="START..END",
    help="The period the records cover, when the system's data spans it (default: none; a snapshot shows the day it was taken).",
)
@click.option("--dry-run", is_flag=True, help="Collect and check, but write nothing: say what would be recorded.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools (the records and the findings).",
)
@root_option
def collect(
    names: tuple[str, ...],
    controls: tuple[str, ...],
    days: tuple[date, date] | None,
    dry_run: bool,
    output_format: str,
    root: Path,
) -> int:
    """Run the collectors NAME (default: every collector a control names) and record what each
    fetches as evidence of the requirements naming it (`collector: NAME/DATASET`), with the
    system, the query, the collector's version and the time.

    Credentials come only from the environment (and the provider's usual chain, such as AWS
    profiles) and are never written. A record whose newest predecessor in the same window holds the
    same bytes is not written again. The collectors' checks run over what was collected. Exit 1 when
    a collector failed or a check found a problem, 2 when nothing can run.
    """
    from soc2kit import __version__
    from soc2kit import diagnostics as fmt
    from soc2kit.collect import CollectRequest
    from soc2kit.collect import collect as run_collectors

    result = run_collectors(root, CollectRequest(names=names, controls=controls, period=days, dry_run=dry_run))
    summary = fmt.Summary.of(
        result.diagnostics,
        documents=len(result.records) + sum(1 for d in result.diagnostics if d.code != "SK421"),
        command="soc2kit collect",
        unit="requirement",
        nothing_examined="; ".join(result.notes),
    )
    if output_format == "json":
        payload = json.loads(fmt.format_json(result.diagnostics, summary, version=__version__))
        payload["dry_run"] = dry_run
        payload["collectors"] = result.collectors
        payload["records"] = [
            {
                "control": r.control,
                "requirement": r.requirement,
                "collector": r.collector,
                "dataset": r.dataset,
                "record": r.record_id,
                "path": r.record_path,
                "written": r.written,
            }
            for r in result.records
        ]
        emit(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", None)
    else:
        from soc2kit.escaping import terminal

        for r in result.records:
            if r.written:
                what = f"Recorded {r.record_id} in {r.record_path}"
            elif dry_run and r.record_id is None:
                what = "Would record a new record"
            else:
                what = f"Unchanged: {r.record_id} in {r.record_path} holds the same data"
            click.echo(terminal(f"{r.control} {r.requirement} ({r.collector}/{r.dataset}): {what}"))
        emit(fmt.format_text(result.diagnostics, summary, color=use_color(None)), None)
    return EXIT_FINDINGS if summary.errors else EXIT_OK
