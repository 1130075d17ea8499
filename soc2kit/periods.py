"""Frequencies as calendar windows: which occurrences a control owes over a period, and which
window a piece of evidence satisfies.

Public API
    windows(frequency, start, end) -> list[Window]
        The calendar windows of `frequency` that meet the period `start..end` (inclusive), in order,
        each clipped to the period: together they cover every day of the period exactly once.
        `continuous` uses monthly windows; `on-event` has one window, the whole period.
    window_of(frequency, day) -> Window
        The calendar window (unclipped) that holds `day`; not defined for on-event.
    straddled(frequency, start, end) -> (Window, Window) | None
        The two windows a range spans without covering either fully (it satisfies neither).
    satisfies(span, window) -> bool
        Whether evidence spanning `span` (its covers range, or its collected day twice) satisfies
        `window`: it meets the window's in-period days and either lies inside the calendar window or
        covers all of the window's in-period days.
    window_interval(frequency) -> str | None
        One window's length as an interval (`3 months`), None for on-event.
    effective_grace(frequency, grace) -> str
        The grace period capped at one window (evidence for a day is due by the end of the next).
    due_date(window, frequency, grace) -> date
        The last day evidence for `window` may arrive before it counts as missing.
    stale_after(newest, frequency, grace) -> date | None
        The last day evidence collected on `newest` is fresh; None for on-event (never stale).
    period_months(start, end) -> longer_than_12_months, shorter_than(frequency)
    parse_period("START..END") -> (start, end); parse_date("YYYY-MM-DD")

Why continuous means monthly: evidence for a continuous control (monitoring, automated checks)
lives in Git as periodic exports, not as a record per day; a month is the coarsest window that
still shows the control never stopped for long, and it is how auditors usually sample such controls.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Final

from soc2kit.errors import UsageError
from soc2kit.models import FIRST_YEAR, FREQUENCIES, LAST_YEAR, add_interval

ON_EVENT: Final = "on-event"
CONTINUOUS_AS: Final = "monthly"
"""The calendar windows a continuous control is held to (see the module docstring for why)."""

_INTERVALS: Final[dict[str, str]] = {
    "daily": "1 day",
    "weekly": "7 days",
    "monthly": "1 month",
    "quarterly": "3 months",
    "semiannual": "6 months",
    "annual": "12 months",
}
_MONTHS_PER_WINDOW: Final[dict[str, int]] = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Window:
    """One expected occurrence: a calendar window, and the part of it inside the period."""

    label: str
    """`2026-01-05` daily, `2026-W02` ISO week, `2026-01` month, `2026-Q1`, `2026-H1`, `2026`; the
    period itself (`2026-01-01..2026-06-30`) for on-event."""
    start: date
    """First day inside the period."""
    end: date
    """Last day inside the period."""
    calendar_start: date
    calendar_end: date

    @property
    def clipped(self) -> bool:
        """True when the period cuts the calendar window (a partial first or last window)."""
        return self.start != self.calendar_start or self.end != self.calendar_end

    def days(self) -> int:
        return (self.end - self.start).days + 1


def _check(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency '{frequency}'; expected one of {', '.join(FREQUENCIES)}")
    return CONTINUOUS_AS if frequency == "continuous" else frequency


@lru_cache(maxsize=8192)
def window_of(frequency: str, day: date) -> Window:
    """The calendar window of `frequency` that holds `day` (not clipped to any period)."""
    kind = _check(frequency)
    if kind == ON_EVENT:
        raise ValueError("on-event controls have no calendar windows")
    if kind == "daily":
        return Window(day.isoformat(), day, day, day, day)
    if kind == "weekly":
        iso = day.isocalendar()
        monday = day - timedelta(days=iso.weekday - 1)
        sunday = monday + timedelta(days=6)
        return Window(f"{iso.year}-W{iso.week:02d}", monday, sunday, monday, sunday)
    months = _MONTHS_PER_WINDOW[kind]
    first_month = (day.month - 1) // months * months + 1
    last_month = first_month + months - 1
    start = date(day.year, first_month, 1)
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    index = (first_month - 1) // months + 1
    label = {
        "monthly": f"{day.year}-{first_month:02d}",
        "quarterly": f"{day.year}-Q{index}",
        "semiannual": f"{day.year}-H{index}",
        "annual": f"{day.year}",
    }[kind]
    return Window(label, start, end, start, end)


def windows(frequency: str, start: date, end: date) -> list[Window]:
    """Every window of `frequency` that meets `start..end`, clipped to it, in order."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    kind = _check(frequency)
    if kind == ON_EVENT:
        return [Window(f"{start}..{end}", start, end, start, end)]
    found: list[Window] = []
    day = start
    while day <= end:
        whole = window_of(kind, day)
        found.append(Window(whole.label, max(whole.start, start), min(whole.end, end), whole.start, whole.end))
        if whole.end >= end:
            break  # also keeps the next day from running past `date.max`
        day = whole.end + _ONE_DAY
    return found


def satisfies(span: tuple[date, date], window: Window) -> bool:
    """Evidence spanning `span` satisfies `window` when it meets the window's in-period days and
    either falls inside the calendar window or covers every in-period day of it."""
    first, last = span
    if last < window.start or first > window.end:
        return False
    inside = window.calendar_start <= first and last <= window.calendar_end
    covers_all = first <= window.start and window.end <= last
    return inside or covers_all


def straddled(frequency: str, start: date, end: date) -> tuple[Window, Window] | None:
    """The two windows `start..end` spans without covering either fully, or None when it lies in
    one window or covers at least one whole window (on-event ranges never straddle)."""
    if _check(frequency) == ON_EVENT:
        return None
    first = window_of(frequency, start)
    if end <= first.calendar_end or start == first.calendar_start or first.calendar_end == date.max:
        return None
    second = window_of(frequency, first.calendar_end + _ONE_DAY)
    return None if end >= second.calendar_end else (first, second)


def window_interval(frequency: str) -> str | None:
    kind = _check(frequency)
    return None if kind == ON_EVENT else _INTERVALS[kind]


def effective_grace(frequency: str, grace: str) -> str:
    """`grace`, but never more than one window of `frequency` (a daily control gets one day)."""
    interval = window_interval(frequency)
    if interval is None:
        return grace
    probe = date(2001, 1, 1)  # any fixed day; both intervals are measured from it
    return grace if add_interval(probe, grace) <= add_interval(probe, interval) else interval


def due_date(window: Window, frequency: str, grace: str) -> date:
    """The last day evidence for `window` may arrive: its end plus the (capped) grace period."""
    return add_interval(window.end, effective_grace(frequency, grace))


def stale_after(newest: date, frequency: str, grace: str) -> date | None:
    """The last day evidence collected on `newest` counts as fresh: one window plus the grace."""
    interval = window_interval(frequency)
    if interval is None:
        return None
    return add_interval(add_interval(newest, interval), effective_grace(frequency, grace))


def longer_than_12_months(start: date, end: date) -> bool:
    """2026-01-01..2026-12-31 is 12 months; 2026-01-01..2027-01-01 is longer."""
    return end >= add_interval(start, "12 months")


def shorter_than_window(start: date, end: date, frequency: str) -> bool:
    """True when the period is shorter than one window of `frequency` (never for on-event)."""
    interval = window_interval(frequency)
    return interval is not None and end < add_interval(start, interval) - _ONE_DAY


def parse_period(text: str) -> tuple[date, date]:
    """`START..END` with strict ISO dates, START on or before END; UsageError otherwise."""
    start_text, sep, end_text = text.partition("..")
    if not sep:
        raise UsageError(f"'{text}' is not a date range; write it like 2026-01-01..2026-06-30")
    start, end = (parse_date(part.strip(), within=text) for part in (start_text, end_text))
    if end < start:
        raise UsageError(f"the period {text} ends ({end}) before it starts ({start}); write START..END")
    return start, end


def parse_date(text: str, *, within: str = "") -> date:
    """A strict ISO date (YYYY-MM-DD); UsageError naming `text` (and the `within` text it came from) otherwise."""
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    where = f" in '{within}'" if within else ""
    if day is None:
        raise UsageError(f"'{text}'{where} is not an ISO date like 2026-01-31")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UsageError(f"'{text}'{where} is out of range: the year must be {FIRST_YEAR} to {LAST_YEAR}")
    return day
