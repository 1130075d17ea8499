"""Reference pages generated from the code: the rule table (soc2kit.registry.RULES) and the
CLI reference (click's introspection of `soc2kit.cli.main`), so they never drift from the tool."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from soc2kit.site import markdown as md
from soc2kit.site.portal import CLI, REFERENCE, RULES, GeneratedPage, Portal

FAMILIES = {
    "SK0": "Reading documents",
    "SK1": "Identities and references",
    "SK2": "Scope and coverage",
    "SK3": "Policies",
    "SK4": "Evidence",
    "SK5": "Readiness over the audit period",
    "SK6": "Change history in Git",
}


def build(portal: Portal) -> Iterator[GeneratedPage]:
    yield index()
    yield rules(portal)
    yield cli_reference()


def index() -> GeneratedPage:
    parts = [
        "# Reference",
        "",
        "Generated from soc2kit itself when the portal is built, so it always matches the installed version.",
        "",
        "- [Rules](rules.md): every check `soc2kit check` runs, its code, default severity and fix.",
        "- [Command line](cli.md): every `soc2kit` command and option.",
    ]
    return GeneratedPage(REFERENCE, "Reference", "\n".join(parts) + "\n")


def rules(portal: Portal) -> GeneratedPage:
    from soc2kit.registry import RULES as REGISTRY
    from soc2kit.registry import find_rule

    settings: dict[str, str] = {}
    for key, value in portal.program.config.rules.items():
        rule = find_rule(key)
        if rule is not None:
            settings[rule.code] = value
    parts = [
        "# Rules",
        "",
        (
            "Every finding has a stable code and a default severity; `rules:` in `soc2kit.yml` sets another severity "
            "per code or name (`error`, `warning`, `info` or `off`). The last column shows this program's setting."
        ),
    ]
    current = None
    rows: list[tuple[str, ...]] = []
    headers = ["Code", "Name", "Default", "This program", "What it finds", "How to fix"]
    for rule in sorted(REGISTRY.values(), key=lambda r: r.code):
        group = FAMILIES.get(rule.code[:3], "Other")
        if group != current:
            if rows:
                parts += ["", md.table(headers, rows)]
                rows = []
            parts += ["", f"## {group}"]
            current = group
        setting = settings.get(rule.code)
        rows.append(
            (
                f'<a id="{rule.code.lower()}"></a>{rule.code}',
                f"`{rule.name}`",
                rule.severity.value,
                md.text(setting) if setting else "default",
                md.text(rule.summary),
                md.text(rule.fix),
            )
        )
    if rows:
        parts += ["", md.table(headers, rows)]
    return GeneratedPage(RULES, "Rules", "\n".join(parts) + "\n")


def cli_reference() -> GeneratedPage:
    from soc2kit.cli import main

    parts = [
        "# Command line",
        "",
        (
            "Exit codes for every command: **0** success, **1** findings of error severity, **2** usage error or an "
            "unusable `soc2kit.yml`."
        ),
    ]
    parts += _command(main, "soc2kit", None, level=2)
    return GeneratedPage(CLI, "Command line", "\n".join(parts) + "\n")


def _command(command: click.Command, name: str, parent: click.Context | None, *, level: int) -> list[str]:
    # With the command's own settings, as click makes it: click caches the help option a context first
    # shows, so a bare Context would drop `-h` from this page and from every later --help in the process.
    ctx = click.Context(command, info_name=name, parent=parent, **command.context_settings)
    out = ["", f"{'#' * level} `{name if parent is None else ctx.command_path}`", ""]
    help_text = (command.help or "").strip()
    if help_text:
        out += [md.text(" ".join(help_text.split("\n\n")[0].split())), ""]
    usage = command.get_usage(ctx).removeprefix("Usage: ")
    out += ["```text", usage, "```", ""]
    rows = [_param_row(param, ctx) for param in command.get_params(ctx)]
    if rows:
        out.append(md.table(["Option", "Type", "Default", "Description"], rows))
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                out += _command(sub, sub_name, ctx, level=min(level + 1, 4))
    return out


def _param_row(param: click.Parameter, ctx: click.Context) -> tuple[str, str, str, str]:
    # Short names first, in a fixed order: click builds the help option's names from a set, whose order
    # changes between processes, and the portal must be the same bytes from the same program.
    names = ", ".join(f"`{opt}`" for opt in sorted(param.opts, key=_short_first) + sorted(param.secondary_opts, key=_short_first))
    if isinstance(param, click.Argument):
        names = f"`{param.human_readable_name}` (argument)"
    kind: Any = param.type
    if isinstance(kind, click.Choice):
        type_text = " \\| ".join(f"`{choice}`" for choice in kind.choices)
    elif isinstance(param, click.Option) and param.is_flag:
        type_text = "flag"
    else:
        type_text = md.text(kind.name)
    default = param.get_default(ctx, call=False)
    default_text = "" if default in (None, False, (), "") or callable(default) else f"`{default}`"
    help_text = md.text(getattr(param, "help", None) or "")
    return names, type_text, default_text, help_text


def _short_first(option: str) -> tuple[bool, str]:
    return option.startswith("--"), option
