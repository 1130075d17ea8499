"""The audit's time zone (`audit.timezone` of soc2kit.yml) from the file's bytes, without the models.

The trail needs only this one value of the config at a commit; validating the whole config meant
importing pydantic and every model, most of a short export's time. Only the nodes on the way to the
value are looked at (YAML is composed, never constructed, so no alias is expanded).

A file that is not UTF-8 or YAML and a value that is not a plain string naming a known IANA zone
give UTC, as they do where soc2kit.yml is loaded with its models; a valid time zone in a file that
is invalid elsewhere is kept (`soc2kit check` reports the rest)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

DEFAULT_ZONE = "UTC"
_STR = "tag:yaml.org,2002:str"


def audit_timezone(raw: bytes) -> str:
    """`audit.timezone` of the soc2kit.yml whose bytes are `raw`: the zone name, else `DEFAULT_ZONE`."""
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return DEFAULT_ZONE
    audit = _value(root, "audit")
    zone = _value(audit, "timezone") if audit is not None else None
    if zone is None:
        return DEFAULT_ZONE
    if not (isinstance(zone, yaml.ScalarNode) and zone.tag == _STR and isinstance(zone.value, str)):
        return DEFAULT_ZONE
    try:
        ZoneInfo(zone.value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return DEFAULT_ZONE
    return zone.value


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of `key` in the mapping `node` (the last one, as the config loader takes a key
    given twice); None when `node` is not a mapping or lacks the key."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found = [value for name, value in node.value if isinstance(name, yaml.ScalarNode) and name.value == key and name.tag == _STR]
    return found[-1] if found else None
