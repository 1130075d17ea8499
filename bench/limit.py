"""The "limit" reference for `soc2kit check`: read the same documents and parse their YAML, nothing else.

usage: python bench/limit.py PROGRAM_DIR

Reads every policies/ and controls/ *.md file (front-matter between the first `---` line and the
next `---` line) and every evidence/ *.yaml file, and parses the YAML with PyYAML's libyaml-backed
yaml.CSafeLoader. No validation, no cross-references, no evidence hashing, no output beyond a count:
the floor any Python checker that parses these files with PyYAML has to pay.
"""

from __future__ import annotations

import os
import sys

import yaml

LOADER = yaml.CSafeLoader


def walk(folder: str):
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from walk(entry.path)
            else:
                yield entry.path


def main() -> None:
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    count = 0
    for folder, suffixes, markdown in (
        ("policies", (".md",), True),
        ("controls", (".md",), True),
        ("evidence", (".yaml", ".yml"), False),
    ):
        top = os.path.join(root, folder)
        if not os.path.isdir(top):
            continue
        for path in walk(top):
            if not path.endswith(suffixes):
                continue
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8")
            if markdown:
                end = text.find("\n---\n", 3)
                data = yaml.load(text[4:end] if text.startswith("---\n") and end > 0 else "", Loader=LOADER)
            else:
                data = yaml.load(text, Loader=LOADER)
            count += data is not None
    print(f"parsed {count} documents")


if __name__ == "__main__":
    main()
