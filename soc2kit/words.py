"""Whether a text names something as whole words, ignoring case and spacing: the id `aws` counts in
"runs on AWS." but not inside "laws", and a dash joins words (`aws-prod` is not `aws`).

The text is split into its words once; each name is then one lookup. A pattern compiled and run per
name made a register of thousands of subservice organizations cost minutes against the system
description or the exclusions' reasons."""

from __future__ import annotations

import re

_WORD_RUN = re.compile(r"[\w-]+")


class WholeWords:
    """The words of one text, to ask of many names whether the text names them."""

    __slots__ = ("_joined", "_runs")

    def __init__(self, text: str) -> None:
        runs = _WORD_RUN.findall(text.casefold())
        self._runs = frozenset(runs)
        self._joined = f" {' '.join(runs)} "

    def names(self, name: str) -> bool:
        """Whether the text holds `name`'s words in order, each whole (punctuation between them is spacing)."""
        runs = _WORD_RUN.findall(name.casefold())
        if not runs or not self._runs.issuperset(runs):
            return False  # most names: a word the text never uses, known without a scan
        return len(runs) == 1 or f" {' '.join(runs)} " in self._joined
