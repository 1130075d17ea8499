"""Reference text generated from the code (the rule table), and the marker blocks in the docs that
hold it. `python -m soc2kit.reference` rewrites the blocks; a test fails when they drift."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from soc2kit.rules.registry import RULES

GENERATED_FILES = ("README.md",)


def rules_table() -> str:
    header = ["| Code | Name | Default | What it finds | How to fix |", "| --- | --- | --- | --- | --- |"]
    rows = [
        f"| {rule.code} | `{rule.name}` | {rule.severity.value} | {rule.summary} | {rule.fix} |"
        for rule in sorted(RULES.values(), key=lambda r: r.code)
    ]
    return "\n".join(header + rows)


BLOCKS = {"rules": rules_table}


def render(text: str) -> str:
    """`text` with every `<!-- generated:NAME -->...<!-- /generated:NAME -->` block filled anew."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<!-- generated:{name} -->\n{BLOCKS[name]()}\n<!-- /generated:{name} -->"

    return re.sub(r"<!-- generated:(\w+) -->.*?<!-- /generated:\1 -->", fill, text, flags=re.DOTALL)


def main(root: Path) -> int:
    for name in GENERATED_FILES:
        path = root / name
        text = path.read_text(encoding="utf-8")
        updated = render(text)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"updated {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path()))
