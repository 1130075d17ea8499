"""Tables for spreadsheets: CSV files and an XLSX workbook holding exactly the same cells.

Public API
    Table(name, columns, rows)   one table; `name` is the CSV file's stem and the workbook sheet's name
    cell(value) -> str           a program value as a spreadsheet cell that no spreadsheet runs
    csv_bytes(table) -> bytes    UTF-8 CSV, `\\n` line ends, header first
    xlsx_bytes(tables, created) -> bytes
        One workbook, one sheet per table, every cell a string cell: the same text the CSV holds.
        Deterministic: the same tables and `created` give the same bytes (zip entries dated
        1980-01-01, the document's creation time is `created`, not the clock).

Every cell goes through `cell()`, so a table holds no formula, whatever a commit subject, an owner
or a description spells: a spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in some,
a tab or carriage return first) as a formula, which can fetch URLs or run commands when the file is
opened. Such a cell gets a leading apostrophe, the usual sign for "text, not a formula".
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

XLSX_CELL_LIMIT = 32767
"""The most characters an XLSX cell holds; longer text is cut in both formats, so they still agree."""
_CUT_MARK = " [cut: the cell limit is 32767 characters]"
# The full-width forms too: some spreadsheets read them as the ASCII sign when a file is opened.
_FORMULA_START = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_LINE_BREAK = re.compile(r"\r\n?")
_WIDEST = 60
"""Columns are as wide as their longest line up to this many characters; longer text wraps."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, values: Sequence[object]) -> None:
        """Append a row; each value becomes a cell (`cell()`), so no caller can skip neutralising."""
        if len(values) != len(self.columns):
            raise ValueError(f"{self.name}: {len(values)} values for {len(self.columns)} columns")
        self.rows.append(tuple(cell(value) for value in values))


def cell(value: object) -> str:
    """`value` as a cell: None is empty, lists are joined with `; `, line breaks are `\\n`, other
    control and format characters (which an XLSX cell cannot hold or which hide text) are U+FFFD,
    and text a spreadsheet would run as a formula starts with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(item) for item in value)
    text = _LINE_BREAK.sub("\n", str(value))
    if not text.isprintable():
        text = "".join(
            char if char in "\n\t" or unicodedata.category(char) not in {"Cc", "Cf", "Cs"} else "\ufffd" for char in text
        )
    if text.lstrip(" \n").startswith(_FORMULA_START):
        text = "'" + text
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - len(_CUT_MARK)] + _CUT_MARK
    return text


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(tables: Iterable[Table], created: datetime) -> bytes:
    """One workbook with a sheet per table (header row frozen and filterable), every cell a string."""
    import xlsxwriter

    buffer = io.BytesIO()
    # in_memory: the zip entries get a fixed date (on disk they would get the local clock's idea of 1980);
    # no conversion of strings to formulas, numbers or links: every cell is the text the CSV holds.
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(buffer, options)
    workbook.set_properties({"created": created})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for table in tables:
        sheet = workbook.add_worksheet(table.name[:31])
        for column, title in enumerate(table.columns):
            sheet.write_string(0, column, title, bold)
        for row, values in enumerate(table.rows, start=1):
            for column, value in enumerate(values):
                if value:
                    sheet.write_string(row, column, value, wrap)
        for column, title in enumerate(table.columns):
            longest = max((len(line) for row in table.rows for line in row[column].split("\n")), default=0)
            sheet.set_column(column, column, min(max(longest, len(title), 8), _WIDEST) + 2)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    workbook.close()
    return buffer.getvalue()
