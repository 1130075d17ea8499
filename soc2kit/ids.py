"""The grammar of policy and control IDs, where prose names one, without the models.

`soc2kit.models` validates IDs with these patterns and re-exports them; reading a document finds
the IDs its body mentions with them. Kept apart so that reading Markdown (the trail parses
documents from Git objects) does not import pydantic and every model."""

from __future__ import annotations

POLICY_ID = r"^POL-[A-Z0-9]+(-[A-Z0-9]+)*$"
CONTROL_PREFIX = r"[A-Z][A-Z0-9]{1,5}"
CONTROL_ID = rf"^{CONTROL_PREFIX}-[0-9]{{2,4}}$"


def _in_text(pattern: str) -> str:
    """A whole-value pattern as a piece of a larger one: unanchored, its groups not capturing."""
    assert "(?" not in pattern, pattern
    return pattern.removeprefix("^").removesuffix("$").replace("(", "(?:")


ID_MENTION = f"(?:{_in_text(POLICY_ID)}|{_in_text(CONTROL_ID)})"
"""A policy or control ID where prose names one; callers add the boundaries their text needs."""
