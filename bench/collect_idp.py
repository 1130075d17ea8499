"""Collect 100,000 Google Workspace users from the local Directory API: time and peak memory (RSS).

The server (tests/google_server.py) runs in this process and makes users as pages are asked for. Three
child processes, each measured alone (peak resident set size, ru_maxrss):
1. `soc2kit collect google-workspace` into a small program whose control names google-workspace/users:
   the whole path (collect, serialise, secret scan, write the record, run the checks). Target (issue 14):
   within 300 MB.
2. the collector alone, serialising each snapshot as the record's file: what the collector costs;
3. the checks over the users record read back from its file, as `soc2kit check` runs them.

    python3 bench/collect_idp.py [--users 100000] [--validate]

The check runs in a second child, as `soc2kit check` is a separate run. --validate also holds every
answer to the discovery document (a slower server; the collector's numbers stay comparable).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import make_program  # noqa: E402
from google_server import TOKEN, DirectoryServer, Scenario, google_user  # noqa: E402

COLLECT = r"""
import json, sys, time
from datetime import date
from pathlib import Path
from soc2kit.collectors.base import CollectContext
from soc2kit.collectors.google_workspace import GoogleWorkspaceCollector

started = time.perf_counter()
context = CollectContext(environ={"GOOGLE_WORKSPACE_TOKEN": sys.argv[1], "GOOGLE_WORKSPACE_API_URL": sys.argv[2]}, today=date(2026, 12, 1), timeout=60)
sizes = {}
for snapshot in GoogleWorkspaceCollector().collect(["users", "admins"], context):
    # What soc2kit collect writes: the record's file is this text.
    data = (json.dumps(snapshot.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    Path(sys.argv[3], snapshot.dataset + ".json").write_bytes(data)
    sizes[snapshot.dataset] = [len(snapshot.data), len(data)]
    del data
print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "records": sizes}))
"""

CHECK = r"""
import json, sys, time
from datetime import date
from pathlib import Path
from soc2kit.collectors.base import CollectContext
from soc2kit.collectors.google_workspace import GoogleWorkspaceCollector

started = time.perf_counter()
context = CollectContext(environ={}, today=date(2026, 12, 1))
counts = {}
for dataset in ("users", "admins"):
    data = json.loads(Path(sys.argv[1], dataset + ".json").read_bytes())
    counts[dataset] = sum(1 for _ in GoogleWorkspaceCollector().check(dataset, data, context))
    del data
print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "findings": counts}))
"""


def run_child(code: str, *args: str, env: dict[str, str] | None = None) -> tuple[str, float, float]:
    """The child's output, wall seconds and peak RSS in MB (ru_maxrss of that child alone, KiB on Linux)."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "soc2kit", *args] if code == "soc2kit" else [sys.executable, "-c", code, *args]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO, env=env)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in {0, 1}:  # soc2kit collect exits 1 when the checks find something
        raise SystemExit(f"child failed with {child.returncode}")
    return output.strip(), time.perf_counter() - started, usage.ru_maxrss / 1024


class LazyUsers(Sequence[dict[str, Any]]):
    """Users made on demand: every tenth without 2-step verification, every fiftieth suspended."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    def _user(self, number: int) -> dict[str, Any]:
        return google_user(
            number, f"user{number:06d}@example.com", enrolled=number % 10 != 0, suspended=number % 50 == 0, is_admin=number < 5
        )

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._user(number) for number in range(*index.indices(self.count))]
        return self._user(index)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--validate", action="store_true")
    options = parser.parse_args()
    roles = [{"kind": "admin#directory#role", "roleId": "1", "roleName": "_SEED_ADMIN_ROLE", "isSuperAdminRole": True}]
    assignments = [
        {
            "kind": "admin#directory#roleAssignment",
            "roleAssignmentId": str(n),
            "roleId": "1",
            "assignedTo": str(100000000000000000000 + n),
            "assigneeType": "user",
            "scopeType": "CUSTOMER",
        }
        for n in range(5)
    ]
    scenario = Scenario(users=LazyUsers(options.users), roles=roles, role_assignments=assignments)
    with DirectoryServer(scenario, validate=options.validate) as server, tempfile.TemporaryDirectory() as out:
        program = make_program(Path(out, "program"))
        program.replace(
            "controls/TC-01.md",
            "    description: Signed review\n",
            "    description: Signed review\n  - id: accounts\n    description: Accounts\n    collector: google-workspace/users\n",
        )
        env = {**os.environ, "GOOGLE_WORKSPACE_TOKEN": TOKEN, "GOOGLE_WORKSPACE_API_URL": server.url}
        cli, cli_wall, cli_peak = run_child(
            "soc2kit", "collect", "google-workspace", "--root", str(program.root), "--format", "json", env=env
        )
        records = json.loads(cli)["records"]
        collected, collect_wall, collect_peak = run_child(COLLECT, TOKEN, server.url, out)
        checked, check_wall, check_peak = run_child(CHECK, out)
    if server.problems:
        print(f"{len(server.problems)} discovery problems, first: {server.problems[0]}", file=sys.stderr)
        return 1
    print(
        f"users: {options.users}  user pages per run: {sum(r.startswith('GET admin/directory/v1/users') for r in server.requests) // 2}  answers validated: {options.validate}"
    )
    print(f"soc2kit collect google-workspace (users dataset; records {[r['written'] for r in records]}):")
    print(f"  wall incl. start-up {cli_wall:.1f} s, peak RSS {cli_peak:.0f} MB")
    print(f"collector alone (fetch, normalise, serialise, write both datasets): {collected}")
    print(f"  wall incl. start-up {collect_wall:.1f} s, peak RSS {collect_peak:.0f} MB")
    print(f"check (read the users record back, run the checks): {checked}")
    print(f"  wall incl. start-up {check_wall:.1f} s, peak RSS {check_peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
