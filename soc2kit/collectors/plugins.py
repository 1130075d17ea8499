"""Finding the installed collectors: the entry points of the `soc2kit.collectors` group.

    load_collectors() -> Plugins     every installed collector, loaded, and why each broken one is broken

A plugin is code the company installed, not something the repository brings, so loading it is
allowed; a plugin that fails to import, cannot be made, or does not provide the interface of
`soc2kit.collectors.base.Collector` is reported by name with the reason, never as a traceback,
and the others still work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from soc2kit.collectors.base import Collector

GROUP = "soc2kit.collectors"


@dataclass(frozen=True)
class Plugins:
    found: dict[str, Collector] = field(default_factory=dict)
    """Entry point name -> the collector it made."""
    broken: dict[str, str] = field(default_factory=dict)
    """Entry point name -> why it cannot be used (one line)."""
    installed: set[str] = field(default_factory=set)
    """Every entry point name of the group, loaded or not."""

    def names(self) -> list[str]:
        return sorted(self.installed)


def load_collectors(wanted: Iterable[str] | None = None) -> Plugins:
    """The installed collectors named in `wanted` (default: all), loaded; every installed name is
    listed in `names()` either way, and a plugin not asked for is never imported."""
    from importlib.metadata import entry_points

    chosen = None if wanted is None else set(wanted)
    plugins = Plugins()
    seen: dict[str, str] = {}
    for point in sorted(entry_points(group=GROUP), key=lambda p: (p.name, p.value)):
        plugins.installed.add(point.name)
        if chosen is not None and point.name not in chosen:
            continue
        if point.name in seen and seen[point.name] != point.value:
            plugins.found.pop(point.name, None)
            plugins.broken[point.name] = f"two plugins are installed under this name ({seen[point.name]} and {point.value})"
            continue
        seen[point.name] = point.value
        if point.name in plugins.broken:
            continue
        made, problem = _make(point.name, point.value, point.load)
        if made is not None:
            plugins.found[point.name] = made
        else:
            plugins.broken[point.name] = problem
    return plugins


def _make(name: str, target: str, load: Callable[[], Any]) -> tuple[Collector | None, str]:
    try:
        factory = load()
    except BaseException as exc:  # a plugin's import may raise anything, SystemExit included
        if isinstance(exc, KeyboardInterrupt):
            raise
        return None, f"cannot load {target}: {_one_line(exc)}"
    try:
        made = factory() if callable(factory) else factory
    except Exception as exc:
        return None, f"{target} could not be created: {_one_line(exc)}"
    problem = interface_problem(name, made)
    return (None, f"{target} {problem}") if problem else (made, "")


def interface_problem(name: str, made: object) -> str:
    """What `made` lacks of the collector interface, or ""."""
    for attribute in ("collect", "check"):
        if not callable(getattr(made, attribute, None)):
            return f"has no {attribute}() method"
    own_name = getattr(made, "name", None)
    if own_name != name:
        return f"names itself {own_name!r}, not {name!r} (its entry point name)"
    if not isinstance(getattr(made, "version", None), str):
        return "has no version string"
    for attribute in ("datasets", "permissions"):
        value = getattr(made, attribute, None)
        if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return f"has no {attribute} mapping of names to descriptions"
    return ""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    shown = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return "".join(c if c.isprintable() else "\ufffd" for c in shown)[:300]
