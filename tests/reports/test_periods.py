"""Periods in the office's timezone, their previous period, labels and keys."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from duluan.errors import DuluanError
from reports.periods import (
    custom_period,
    day_period,
    half_period,
    month_period,
    parse_month,
    period_from_range,
    quarter_period,
    week_period,
    year_period,
)

TZ = "Asia/Ho_Chi_Minh"


def test_month_bounds_are_local_midnights_in_utc() -> None:
    p = month_period(2026, 10, TZ)
    assert p.start == datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert p.end == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    assert p.key == "2026-10"
    assert p.label_vi == "tháng 10/2026"
    assert p.length_days == 31


def test_previous_periods_have_the_same_kind() -> None:
    assert month_period(2026, 3, TZ).previous() == month_period(2026, 2, TZ)
    assert month_period(2026, 1, TZ).previous() == month_period(2025, 12, TZ)
    assert quarter_period(2026, 1, TZ).previous() == quarter_period(2025, 4, TZ)
    assert half_period(2026, 2, TZ).previous() == half_period(2026, 1, TZ)
    assert year_period(2026, TZ).previous() == year_period(2025, TZ)
    assert day_period(date(2026, 10, 1), TZ).previous().first == date(2026, 9, 30)
    w = week_period(date(2026, 10, 7), TZ)
    assert w.first == date(2026, 10, 5) and w.last == date(2026, 10, 11)
    assert w.previous().first == date(2026, 9, 28)
    c = custom_period(date(2026, 10, 3), date(2026, 10, 12), TZ)
    assert c.kind == "custom" and c.previous().last == date(2026, 10, 2) and c.previous().length_days == 10


def test_labels_and_keys() -> None:
    assert quarter_period(2026, 4, TZ).label_vi == "quý IV năm 2026"
    assert half_period(2026, 1, TZ).label_vi == "6 tháng đầu năm 2026"
    assert half_period(2026, 2, TZ).key == "2026-H2"
    assert year_period(2026, TZ).label_vi == "năm 2026"
    assert day_period(date(2026, 10, 5), TZ).label_vi == "ngày 05/10/2026"
    assert custom_period(date(2026, 10, 3), date(2026, 10, 12), TZ).key == "2026-10-03..2026-10-12"


def test_aligned_custom_ranges_are_recognised() -> None:
    assert custom_period(date(2026, 7, 1), date(2026, 12, 31), TZ).kind == "half"
    assert custom_period(date(2026, 1, 1), date(2026, 12, 31), TZ).kind == "year"
    assert custom_period(date(2026, 10, 1), date(2026, 12, 31), TZ).kind == "quarter"
    assert custom_period(date(2026, 10, 1), date(2026, 10, 31), TZ).kind == "month"
    with pytest.raises(DuluanError):
        custom_period(date(2026, 10, 5), date(2026, 10, 1), TZ)


def test_range_end_is_exclusive() -> None:
    p = month_period(2026, 10, TZ)
    assert period_from_range(p.start, p.end, TZ) == p
    assert parse_month("2026-10", TZ) == p
    with pytest.raises(DuluanError):
        parse_month("10-2026x", TZ)
