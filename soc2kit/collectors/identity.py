"""The provider-neutral half of an identity-provider collector: one user shape and the checks over it.

A provider's collector (Google Workspace today; Okta would be the same size) only turns its API's
users and admin-role assignments into `DirectoryUser`s and `RoleGrant`s; what is recorded and what is
checked is decided here, so every identity provider yields evidence of the same shape and the same
findings under its own check prefix (`google-workspace.user-without-second-factor`,
`okta.user-without-second-factor`).

Recorded shapes (JSON, lists sorted by a stable key, nothing that changes without a change in the
directory: no ETags, no request ids; sign-in and creation kept to the day, so a sign-in does not make
every snapshot within a day new, and the dates of 100,000 users share a few thousand strings):
    users:  [{id, email, status, second_factor_enrolled, second_factor_enforced, admin_roles,
              last_login, created, suspended_at, deleted_at}, ...] sorted by email, then id
    admins: [{role, super_admin, assignee_type, assignee, scope}, ...] sorted by role, then assignee

Public API
    DirectoryUser, RoleGrant: the neutral records; user_record(user), grant_record(grant): their JSON.
    DORMANT_AFTER_DAYS: the sign-in age that makes an active account dormant.
    check_users(prefix, data, today) / check_admins(prefix, data): the findings in recorded data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from soc2kit.collectors.base import Finding

__all__ = [
    "DORMANT_AFTER_DAYS",
    "DirectoryUser",
    "RoleGrant",
    "UserStatus",
    "check_admins",
    "check_users",
    "grant_record",
    "user_record",
]

DORMANT_AFTER_DAYS = 90
"""An active account with no sign-in for this many days is dormant (a common access-review threshold)."""

UserStatus = Literal["active", "suspended", "archived", "deleted"]
_STATUSES: frozenset[str] = frozenset({"active", "suspended", "archived", "deleted"})
_NO_ROLES: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """One account as every identity provider can describe it. `last_login` and `created` are dates
    (YYYY-MM-DD), suspension and deletion ISO 8601 times as the provider gives them; None where the
    provider has no value (a user who never signed in)."""

    id: str
    email: str
    status: UserStatus
    second_factor_enrolled: bool | None
    second_factor_enforced: bool | None
    admin_roles: tuple[str, ...]
    last_login: str | None
    created: str | None
    suspended_at: str | None
    deleted_at: str | None


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """One administrative role held by a user, a group or a service account."""

    role: str
    super_admin: bool
    assignee_type: str
    assignee: str
    scope: str


def user_record(user: DirectoryUser) -> dict[str, Any]:
    """The recorded JSON of a user; the empty role list is shared, so 100,000 plain users cost no lists."""
    return {
        "id": user.id,
        "email": user.email,
        "status": user.status,
        "second_factor_enrolled": user.second_factor_enrolled,
        "second_factor_enforced": user.second_factor_enforced,
        "admin_roles": user.admin_roles or _NO_ROLES,
        "last_login": user.last_login,
        "created": user.created,
        "suspended_at": user.suspended_at,
        "deleted_at": user.deleted_at,
    }


def grant_record(grant: RoleGrant) -> dict[str, Any]:
    return {
        "role": grant.role,
        "super_admin": grant.super_admin,
        "assignee_type": grant.assignee_type,
        "assignee": grant.assignee,
        "scope": grant.scope,
    }


def _unrecognised(prefix: str, dataset: str, why: str) -> Finding:
    return Finding(
        check=f"{prefix}.data-unrecognised",
        message=f"the recorded {dataset} snapshot is not one this collector wrote: {why}",
        items=(),
    )


def _day(text: object) -> date | None:
    """The calendar day an ISO 8601 date or date-time starts with; None when there is none."""
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _user_name(entry: dict[str, Any]) -> str | None:
    name = entry.get("email") or entry.get("id")
    return name if isinstance(name, str) and name else None


def check_users(prefix: str, data: Any, today: date) -> Iterator[Finding]:
    """Findings over a recorded `users` snapshot, one per offending account, named by its email.

    - user-without-second-factor: an active account with no second factor enrolled;
    - admin-without-second-factor: an active account holding an admin role with no second factor;
    - inactive-user-holds-admin-role: a suspended, archived or deleted account still holding an admin
      role (restoring the account restores the privilege: a departed person's access is not gone);
    - dormant-user: an active account with no sign-in for DORMANT_AFTER_DAYS days (or never, and
      created longer ago than that).
    """
    if not isinstance(data, list):
        yield _unrecognised(prefix, "users", "it is not a list of users")
        return
    dormant_before = today - timedelta(days=DORMANT_AFTER_DAYS)
    skipped = 0
    for entry in data:
        name = _user_name(entry) if isinstance(entry, dict) else None
        status = entry.get("status") if isinstance(entry, dict) else None
        if name is None or status not in _STATUSES:
            skipped += 1
            continue
        roles = entry.get("admin_roles")
        role_names = [role for role in roles if isinstance(role, str)] if isinstance(roles, list) else []
        enrolled = entry.get("second_factor_enrolled")
        if status == "active":
            if enrolled is False:
                yield Finding(
                    check=f"{prefix}.user-without-second-factor",
                    message=f"active user {name} has no second factor enrolled",
                    items=(name,),
                )
                if role_names:
                    yield Finding(
                        check=f"{prefix}.admin-without-second-factor",
                        message=f"admin {name} ({', '.join(role_names)}) has no second factor enrolled",
                        items=(name,),
                    )
            last_login = _day(entry.get("last_login"))
            created = _day(entry.get("created"))
            if last_login is not None and last_login < dormant_before:
                yield Finding(
                    check=f"{prefix}.dormant-user",
                    message=f"active user {name} has not signed in since {last_login.isoformat()}",
                    items=(name,),
                )
            elif last_login is None and created is not None and created < dormant_before:
                yield Finding(
                    check=f"{prefix}.dormant-user",
                    message=f"active user {name} has never signed in since the account was created on {created.isoformat()}",
                    items=(name,),
                )
        elif role_names:
            yield Finding(
                check=f"{prefix}.inactive-user-holds-admin-role",
                message=f"{status} user {name} still holds {', '.join(role_names)}",
                items=(name,),
            )
    if skipped:
        yield _unrecognised(prefix, "users", f"{skipped} entries have no email, id or known status")


def check_admins(prefix: str, data: Any) -> Iterator[Finding]:
    """Findings over a recorded `admins` snapshot: a super-admin role granted to a group (whoever
    joins the group becomes a super administrator without appearing in the user list's roles)."""
    if not isinstance(data, list):
        yield _unrecognised(prefix, "admins", "it is not a list of role assignments")
        return
    skipped = 0
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("assignee"), str):
            skipped += 1
            continue
        if entry.get("super_admin") is True and entry.get("assignee_type") == "group":
            group = entry["assignee"]
            yield Finding(
                check=f"{prefix}.super-admin-granted-to-group",
                message=f"group {group} holds the super-admin role {entry.get('role')}: its members are super administrators",
                items=(group,),
            )
    if skipped:
        yield _unrecognised(prefix, "admins", f"{skipped} entries have no assignee")
