"""The collector interface: what a plugin of the `soc2kit.collectors` entry-point group provides.

A collector asks a system for datasets and returns each as a normalised `Snapshot`; soc2kit writes
every snapshot as an ordinary evidence record. Later `soc2kit check` hands the recorded data back to
the collector's `check()`, which reports what is wrong as `Finding`s naming the offending items.
Nothing here imports a client library: collectors import theirs lazily, inside `collect()`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, runtime_checkable

__all__ = ["CollectContext", "Collector", "CollectorError", "Finding", "Snapshot"]


class CollectorError(Exception):
    """The system refused or failed: what a collector raises instead of a client library's own error.

    `message` never holds a credential; `permission` names what the credentials lack (an IAM action,
    an OAuth scope, a GitHub permission) when the system said so.
    """

    def __init__(self, system: str, message: str, *, permission: str | None = None) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.message = message
        self.permission = permission


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One dataset as the system returned it, normalised so an unchanged system gives equal data:
    lists sorted by a stable key, no volatile fields (request ids, generation times, ETags)."""

    dataset: str
    """The dataset's name, one of the collector's `datasets`, such as `iam-credential-report`."""
    system: str
    """The system asked, such as `AWS account 123456789012`."""
    query: str
    """The exact calls made, such as `iam:GenerateCredentialReport; iam:GetCredentialReport`."""
    data: Any
    """JSON-serialisable data."""


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a collector's check found wrong in a snapshot."""

    check: str
    """A stable id, such as `aws.iam-user-without-mfa`."""
    message: str
    """One line: what is wrong, such as `IAM user bob has console access and no MFA`."""
    items: tuple[str, ...]
    """The offending items' identifiers (user names, bucket names, ...)."""


@dataclass(frozen=True, slots=True)
class CollectContext:
    """What a collector may use besides the system itself."""

    environ: Mapping[str, str]
    """Credentials and endpoints come only from here (and the provider's usual chain, such as AWS profiles)."""
    today: date
    timeout: float = 30.0
    """Seconds a single request may take."""


@runtime_checkable
class Collector(Protocol):
    """A collector plugin: the entry point names a class (or a factory) soc2kit calls without arguments."""

    name: str
    """The entry point's name, such as `aws`."""
    version: str
    """The collector's version (soc2kit's for the built-in collectors)."""
    datasets: Mapping[str, str]
    """Dataset name -> one-line description."""
    permissions: Mapping[str, str]
    """Dataset name -> what reading it needs (IAM actions, OAuth scopes, GitHub permissions)."""

    def collect(self, datasets: Sequence[str], context: CollectContext) -> Iterator[Snapshot]:
        """One snapshot per dataset asked for; raises CollectorError when the system refuses or fails."""
        ...

    def check(self, dataset: str, data: Any, context: CollectContext) -> Iterator[Finding]:
        """The findings in a recorded snapshot's data (as read back from its JSON file). Never raises
        for data it does not recognise: such data yields a finding saying so."""
        ...
