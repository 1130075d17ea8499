"""Window arithmetic: every frequency splits any period into calendar windows with no gap and no
overlap, across leap years and month ends; evidence satisfies the windows the docs say it does."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc2kit import periods
from soc2kit.errors import UsageError
from soc2kit.models import FREQUENCIES

PERIODIC = ("continuous", "daily", "weekly", "monthly", "quarterly", "semiannual", "annual")
DAY = timedelta(days=1)

days = st.dates(min_value=date(1896, 1, 1), max_value=date(2104, 12, 31))
# Periods that start on month ends and in leap Februaries come up often enough: hypothesis shrinks
# towards boundaries, and the explicit examples below pin the famous ones.
spans = st.tuples(days, st.integers(min_value=0, max_value=1200)).map(
    lambda p: (p[0], min(p[0] + timedelta(days=p[1]), date(2104, 12, 31)))
)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _is_calendar_window(frequency: str, window: periods.Window) -> bool:
    start, end = window.calendar_start, window.calendar_end
    if frequency == "daily":
        return start == end
    if frequency == "weekly":
        return start.weekday() == 0 and end == start + timedelta(days=6)
    months = {"continuous": 1, "monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}[frequency]
    first_months = range(1, 13, months)
    last_month = start.month + months - 1
    return start.day == 1 and start.month in first_months and end == _month_end(date(start.year, last_month, 1))


@pytest.mark.parametrize("frequency", PERIODIC)
@given(period=spans)
@settings(max_examples=150, deadline=None)
def test_windows_tile_the_period_without_gap_or_overlap(frequency: str, period: tuple[date, date]) -> None:
    start, end = period
    found = periods.windows(frequency, start, end)
    assert found[0].start == start
    assert found[-1].end == end
    for before, after in itertools.pairwise(found):
        assert after.start == before.end + DAY  # no gap, no overlap
    assert sum(w.days() for w in found) == (end - start).days + 1
    assert len({w.label for w in found}) == len(found)


@pytest.mark.parametrize("frequency", PERIODIC)
@given(period=spans)
@settings(max_examples=150, deadline=None)
def test_every_window_is_a_calendar_window_cut_only_at_the_period_edges(frequency: str, period: tuple[date, date]) -> None:
    start, end = period
    found = periods.windows(frequency, start, end)
    for index, window in enumerate(found):
        assert _is_calendar_window(frequency, window), window
        assert window.calendar_start <= window.start <= window.end <= window.calendar_end
        if 0 < index < len(found) - 1:
            assert not window.clipped
        assert periods.window_of(frequency, window.start).label == window.label
        assert periods.window_of(frequency, window.end).label == window.label


@pytest.mark.parametrize("frequency", PERIODIC)
@given(period=spans, offset=st.integers(min_value=0, max_value=1200))
@settings(max_examples=150, deadline=None)
def test_a_dated_record_satisfies_exactly_the_window_of_its_day(frequency: str, period: tuple[date, date], offset: int) -> None:
    start, end = period
    day = min(start + timedelta(days=offset), end)
    found = periods.windows(frequency, start, end)
    satisfied = [w.label for w in found if periods.satisfies((day, day), w)]
    assert satisfied == [periods.window_of(frequency, day).label]


@pytest.mark.parametrize("frequency", PERIODIC)
@given(period=spans)
@settings(max_examples=100, deadline=None)
def test_a_record_covering_the_whole_period_satisfies_every_window(frequency: str, period: tuple[date, date]) -> None:
    found = periods.windows(frequency, *period)
    assert all(periods.satisfies(period, w) for w in found)


@pytest.mark.parametrize("frequency", PERIODIC)
@given(span=spans)
@settings(max_examples=150, deadline=None)
def test_a_range_straddles_exactly_when_it_satisfies_no_window_it_meets(frequency: str, span: tuple[date, date]) -> None:
    start, end = span
    calendar_windows = [periods.window_of(frequency, w.start) for w in periods.windows(frequency, start, end)]
    satisfied = [w for w in calendar_windows if periods.satisfies(span, w)]
    pair = periods.straddled(frequency, start, end)
    assert (pair is not None) == (not satisfied)
    if pair is not None:
        assert [w.label for w in pair] == [w.label for w in calendar_windows]


@given(period=spans)
@settings(max_examples=100, deadline=None)
def test_window_counts_match_the_calendar(period: tuple[date, date]) -> None:
    start, end = period
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    assert len(periods.windows("daily", start, end)) == (end - start).days + 1
    assert len(periods.windows("monthly", start, end)) == months
    assert len(periods.windows("continuous", start, end)) == months
    assert len(periods.windows("annual", start, end)) == end.year - start.year + 1
    quarters = (end.year - start.year) * 4 + (end.month - 1) // 3 - (start.month - 1) // 3 + 1
    assert len(periods.windows("quarterly", start, end)) == quarters
    mondays = (end - timedelta(days=end.weekday()) - (start - timedelta(days=start.weekday()))).days // 7 + 1
    assert len(periods.windows("weekly", start, end)) == mondays


@given(period=spans)
def test_on_event_has_one_window_the_whole_period(period: tuple[date, date]) -> None:
    [window] = periods.windows("on-event", *period)
    assert (window.start, window.end) == period
    assert window.label == f"{period[0]}..{period[1]}"


def test_quarterly_over_a_half_year_expects_q1_and_q2() -> None:
    found = periods.windows("quarterly", date(2026, 1, 1), date(2026, 6, 30))
    assert [(w.label, w.start, w.end) for w in found] == [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
    ]


@pytest.mark.parametrize(
    ("year", "last_day"),
    [(2024, 29), (2026, 28), (2000, 29), (2100, 28)],  # leap, common, 400-year leap, 100-year common
)
def test_february_ends_on_its_real_last_day(year: int, last_day: int) -> None:
    [february] = periods.windows("monthly", date(year, 2, 1), date(year, 2, 28))
    assert february.calendar_end == date(year, 2, last_day)
    assert february.clipped == (last_day == 29)
    assert len(periods.windows("daily", date(year, 1, 1), date(year, 12, 31))) == 365 + (last_day == 29)


def test_iso_weeks_start_on_monday_and_cross_the_new_year() -> None:
    # 2026-01-01 is a Thursday, so ISO 2026 has 53 weeks and 2027-01-01 (a Friday) is in 2026-W53.
    week = periods.window_of("weekly", date(2027, 1, 1))
    assert (week.label, week.calendar_start, week.calendar_end) == ("2026-W53", date(2026, 12, 28), date(2027, 1, 3))
    assert periods.window_of("weekly", date(2025, 12, 29)).label == "2026-W01"


def test_labels_name_each_kind_of_window() -> None:
    day = date(2026, 8, 15)
    assert {f: periods.window_of(f, day).label for f in PERIODIC} == {
        "continuous": "2026-08",
        "daily": "2026-08-15",
        "weekly": "2026-W33",
        "monthly": "2026-08",
        "quarterly": "2026-Q3",
        "semiannual": "2026-H2",
        "annual": "2026",
    }


def test_a_range_spanning_windows_satisfies_each_it_covers_fully() -> None:
    found = periods.windows("monthly", date(2026, 1, 1), date(2026, 6, 30))
    covered = [w.label for w in found if periods.satisfies((date(2026, 1, 15), date(2026, 4, 30)), w)]
    assert covered == ["2026-02", "2026-03", "2026-04"]
    straddling = [w.label for w in found if periods.satisfies((date(2026, 3, 15), date(2026, 4, 14)), w)]
    assert straddling == []


def test_a_clipped_window_is_satisfied_by_covering_its_days_inside_the_period() -> None:
    [year] = periods.windows("annual", date(2026, 1, 1), date(2026, 6, 30))
    assert periods.satisfies((date(2026, 1, 1), date(2026, 6, 30)), year)
    assert periods.satisfies((date(2026, 2, 1), date(2026, 2, 28)), year)  # inside the calendar year
    assert not periods.satisfies((date(2026, 9, 1), date(2026, 9, 30)), year)  # in 2026, but after the period


def test_grace_is_capped_at_one_window() -> None:
    assert periods.effective_grace("daily", "30 days") == "1 day"
    assert periods.effective_grace("weekly", "30 days") == "7 days"
    assert periods.effective_grace("quarterly", "30 days") == "30 days"
    assert periods.effective_grace("on-event", "30 days") == "30 days"
    q1 = periods.window_of("quarterly", date(2026, 2, 1))
    assert periods.due_date(q1, "quarterly", "30 days") == date(2026, 4, 30)


def test_freshness_is_one_window_plus_grace() -> None:
    assert periods.stale_after(date(2026, 1, 31), "monthly", "14 days") == date(2026, 3, 14)
    assert periods.stale_after(date(2026, 4, 6), "quarterly", "30 days") == date(2026, 8, 5)
    assert periods.stale_after(date(2026, 4, 6), "daily", "30 days") == date(2026, 4, 8)
    assert periods.stale_after(date(2026, 4, 6), "on-event", "30 days") is None


@pytest.mark.parametrize(
    ("start", "end", "longer"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), False),
        (date(2026, 1, 1), date(2027, 1, 1), True),
        (date(2024, 2, 29), date(2025, 2, 27), False),
        (date(2024, 2, 29), date(2025, 2, 28), True),
    ],
)
def test_a_period_longer_than_12_months(start: date, end: date, longer: bool) -> None:
    assert periods.longer_than_12_months(start, end) is longer


def test_a_period_shorter_than_a_window() -> None:
    half = (date(2026, 1, 1), date(2026, 6, 30))
    assert periods.shorter_than_window(*half, "annual")
    assert not periods.shorter_than_window(*half, "semiannual")
    assert not periods.shorter_than_window(*half, "on-event")
    assert periods.shorter_than_window(date(2026, 1, 1), date(2026, 1, 5), "weekly")


def test_unknown_frequency_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown frequency 'fortnightly'; expected one of continuous, daily"):
        periods.windows("fortnightly", date(2026, 1, 1), date(2026, 2, 1))
    assert set(PERIODIC) | {"on-event"} == set(FREQUENCIES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-01-01", "is not a date range"),
        ("2026-1-01..2026-06-30", "'2026-1-01' in '2026-1-01..2026-06-30' is not an ISO date"),
        ("2026-02-30..2026-06-30", "is not an ISO date"),
        ("2026-06-30..2026-01-01", "ends (2026-01-01) before it starts (2026-06-30)"),
    ],
)
def test_bad_period_text_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        periods.parse_period(text)
    assert message in caught.value.message


def test_period_text_parses() -> None:
    assert periods.parse_period("2026-01-01..2026-06-30") == (date(2026, 1, 1), date(2026, 6, 30))
