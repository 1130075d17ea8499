"""The `soc2kit` command: parse options, call the library, print. One module per command family;
each imports only click at start-up, so `soc2kit --help` stays fast.

Exit codes: 0 success, 1 findings of error severity, 2 usage error or unusable `soc2kit.yml`. A
command returns its exit code; only the group's `main` ends the process."""

from __future__ import annotations

import sys
from typing import Any

import click

from soc2kit import __version__
from soc2kit.cli import check, evidence, population, scaffold, status
from soc2kit.cli import collect as collect_commands
from soc2kit.cli import matrix as matrix_commands
from soc2kit.cli import schema as schema_commands
from soc2kit.cli import trail as trail_commands
from soc2kit.cli.options import EXIT_OK, EXIT_USAGE


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command and end the process with the exit code it returns (0 when it returns
        nothing); every soc2kit error becomes one `soc2kit: error: ...` line with exit 2, never a traceback."""
        sys.exit(self.exit_code(*args, **kwargs))

    def exit_code(self, *args: Any, **kwargs: Any) -> int:
        from soc2kit.errors import Soc2kitError

        arguments = kwargs.get("args", args[0] if args else None)
        # A real command line cannot carry a NUL byte, but an in-process caller can, and every path
        # operation raises ValueError on one: refuse it before any option is converted.
        for argument in arguments or ():
            if isinstance(argument, str) and "\0" in argument:
                click.echo(f"soc2kit: error: the argument {argument!r} contains a NUL byte", err=True)
                return EXIT_USAGE
        try:
            kwargs["standalone_mode"] = False
            returned = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("soc2kit: aborted", err=True)
            return 130
        except click.ClickException as exc:
            exc.show()
            return EXIT_USAGE
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except Soc2kitError as exc:
            click.echo(f"soc2kit: error: {exc}", err=True)
            return EXIT_USAGE
        return returned if isinstance(returned, int) else EXIT_OK


_HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


@click.group(cls=_Group, context_settings=_HELP_OPTIONS)
@click.version_option(__version__, "-V", "--version", prog_name="soc2kit", message="%(prog)s %(version)s")
def main() -> None:
    """SOC 2 policies, controls and evidence as code, kept in Git."""


for command in (
    check.check,
    schema_commands.schema,
    scaffold.init,
    scaffold.new,
    evidence.evidence,
    collect_commands.collect,
    status.status,
    trail_commands.trail,
    trail_commands.changes,
    trail_commands.bundle,
    trail_commands.diff,
    matrix_commands.matrix,
    matrix_commands.assertion,
):
    main.add_command(command)
trail_commands.changes.add_command(population.population)


def _same_help_options(command: click.Command) -> None:
    # Click caches each command's help option the first time it is asked for; set `-h` on every
    # command itself so a command invoked on its own (a test, the docs generator) shows the same help.
    command.context_settings = {**_HELP_OPTIONS, **command.context_settings}
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _same_help_options(sub)


_same_help_options(main)
