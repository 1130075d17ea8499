"""The trail reads the audit time zone without the models, and reads it as the config loader does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from soc2kit.audit_zone import audit_timezone
from soc2kit.program import config_from_bytes
from tests.conftest import CONFIG
from tests.gitrepo import program_repo

PERIOD = "  period: {start: 2026-01-01, end: 2026-06-30}\n"


def with_zone(line: str) -> bytes:
    return CONFIG.replace(PERIOD, PERIOD + line).encode()


SAME_AS_THE_LOADER = {
    "a known zone": with_zone("  timezone: Europe/Berlin\n"),
    "quoted": with_zone('  timezone: "America/New_York"\n'),
    "missing": CONFIG.encode(),
    "unknown zone": with_zone("  timezone: Mars/Olympus\n"),
    "path-like name": with_zone("  timezone: ../../etc/passwd\n"),
    "a number": with_zone("  timezone: 2026\n"),
    "null": with_zone("  timezone: null\n"),
    "a list": with_zone("  timezone: [UTC]\n"),
    "padded": with_zone("  timezone: ' UTC '\n"),
    "given twice": with_zone("  timezone: Europe/Berlin\n  timezone: Asia/Tokyo\n"),
    "byte-order mark": b"\xef\xbb\xbf" + with_zone("  timezone: Asia/Tokyo\n"),
    "CRLF": with_zone("  timezone: Asia/Tokyo\n").replace(b"\n", b"\r\n"),
    "not UTF-8": with_zone("  timezone: Asia/Tokyo\n") + b"\xff\xfe",
    "not YAML": b"audit: [unclosed\n",
    "not a mapping": b"- audit\n",
    "audit not a mapping": b"organization: X\naudit: type2\n",
    "empty": b"",
}


@pytest.mark.parametrize("raw", SAME_AS_THE_LOADER.values(), ids=SAME_AS_THE_LOADER.keys())
def test_the_zone_is_the_one_the_config_loader_gives(raw: bytes) -> None:
    assert audit_timezone(raw) == config_from_bytes(raw).audit.timezone


INVALID_ELSEWHERE = {
    "no organization": with_zone("  timezone: Asia/Tokyo\n").replace(b"organization: Test Co\n", b""),
    "an alias bomb beside it": b"a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
    b"d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d]\n" + with_zone("  timezone: Asia/Tokyo\n"),
}


@pytest.mark.parametrize("raw", INVALID_ELSEWHERE.values(), ids=INVALID_ELSEWHERE.keys())
def test_a_valid_zone_in_a_config_invalid_elsewhere_is_kept(raw: bytes) -> None:
    assert config_from_bytes(raw).audit.timezone == "UTC"  # the loader falls back to a whole default config
    assert audit_timezone(raw) == "Asia/Tokyo"  # the trail still uses the zone the program names


def test_trail_export_does_not_import_the_models(tmp_path: Path) -> None:
    repo = program_repo(tmp_path / "repo")
    repo.replace("soc2kit.yml", PERIOD, PERIOD + "  timezone: America/New_York\n")
    repo.commit("New York time", date="2026-01-20T12:00:00+00:00")
    out = tmp_path / "trail.jsonl"
    script = (
        "import sys\nfrom soc2kit.cli import main\n"
        "try:\n    main(['trail', 'export', '-o', sys.argv[1]])\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print(code, 'pydantic' in sys.modules, 'soc2kit.models' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(out)], cwd=repo.root, capture_output=True, text=True, check=False)
    assert result.stdout.split() == ["0", "False", "False"], result.stderr
    header = json.loads(out.read_text().splitlines()[0])
    assert header["timezone"] == "America/New_York"
