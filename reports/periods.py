"""Report periods in the office's timezone: day, week, month, quarter, half-year, year and custom
ranges. Every period knows its previous period of the same length (reports compare with it), its
Vietnamese label (as it appears in a report title) and a stable key (`ReportDraft.period_key`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from duluan.errors import DuluanError

PeriodKind = Literal["day", "week", "month", "quarter", "half", "year", "custom"]
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def _local_midnight(d: date, tz: str) -> datetime:
    return datetime.combine(d, time(0), ZoneInfo(tz)).astimezone(UTC)


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A half-open range [start, end) of aware UTC datetimes, aligned to local days in `tz`."""

    kind: PeriodKind
    first: date  # first local day
    last: date  # last local day (inclusive)
    tz: str = "Asia/Ho_Chi_Minh"

    @property
    def start(self) -> datetime:
        return _local_midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        return _local_midnight(self.last + timedelta(days=1), self.tz)

    @property
    def days(self) -> list[date]:
        """Every local day of the period, in order."""
        n = (self.last - self.first).days + 1
        return [self.first + timedelta(days=i) for i in range(n)]

    @property
    def key(self) -> str:
        """Stable identifier, e.g. `2026-10-05`, `2026-W41`, `2026-10`, `2026-Q4`, `2026-H2`, `2026`,
        `2026-10-01..2026-10-15` (what `ReportDraft.period_key` holds)."""
        f = self.first
        if self.kind == "day":
            return f.isoformat()
        if self.kind == "week":
            iso = f.isocalendar()
            return f"{iso[0]}-W{iso[1]:02d}"
        if self.kind == "month":
            return f"{f.year}-{f.month:02d}"
        if self.kind == "quarter":
            return f"{f.year}-Q{(f.month - 1) // 3 + 1}"
        if self.kind == "half":
            return f"{f.year}-H{1 if f.month <= 6 else 2}"
        if self.kind == "year":
            return str(f.year)
        return f"{f.isoformat()}..{self.last.isoformat()}"

    @property
    def label_vi(self) -> str:
        """How the period is named in a Vietnamese report title ("tháng 10/2026", "quý IV năm 2026"…)."""
        f, la = self.first, self.last
        if self.kind == "day":
            return f"ngày {f:%d/%m/%Y}"
        if self.kind == "month":
            return f"tháng {f.month:02d}/{f.year}"
        if self.kind == "quarter":
            return f"quý {_ROMAN[(f.month - 1) // 3 + 1]} năm {f.year}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if f.month <= 6 else 'cuối'} năm {f.year}"
        if self.kind == "year":
            return f"năm {f.year}"
        if self.kind == "week":
            return f"tuần từ ngày {f:%d/%m/%Y} đến ngày {la:%d/%m/%Y}"
        return f"từ ngày {f:%d/%m/%Y} đến ngày {la:%d/%m/%Y}"

    @property
    def length_days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (the previous month for a month)."""
        f = self.first
        if self.kind == "month":
            return month_period(_add_months(f, -1).year, _add_months(f, -1).month, self.tz)
        if self.kind in ("quarter", "half", "year"):
            months = {"quarter": 3, "half": 6, "year": 12}[self.kind]
            pf = _add_months(f, -months)
            return Period(self.kind, pf, f - timedelta(days=1), self.tz)
        n = self.length_days
        return Period(self.kind, f - timedelta(days=n), f - timedelta(days=1), self.tz)

    def contains(self, dt: datetime) -> bool:
        return self.start <= dt < self.end


def day_period(d: date, tz: str) -> Period:
    return Period("day", d, d, tz)


def week_period(d: date, tz: str) -> Period:
    """The ISO week (Monday..Sunday) containing `d`."""
    monday = d - timedelta(days=d.weekday())
    return Period("week", monday, monday + timedelta(days=6), tz)


def month_period(year: int, month: int, tz: str) -> Period:
    first = date(year, month, 1)
    return Period("month", first, _add_months(first, 1) - timedelta(days=1), tz)


def quarter_period(year: int, quarter: int, tz: str) -> Period:
    first = date(year, 3 * (quarter - 1) + 1, 1)
    return Period("quarter", first, _add_months(first, 3) - timedelta(days=1), tz)


def half_period(year: int, half: int, tz: str) -> Period:
    first = date(year, 1 if half == 1 else 7, 1)
    return Period("half", first, _add_months(first, 6) - timedelta(days=1), tz)


def year_period(year: int, tz: str) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31), tz)


def custom_period(first: date, last: date, tz: str) -> Period:
    """A custom range of whole local days; recognised as a month/quarter/half/year when aligned."""
    if last < first:
        raise DuluanError(f"the period ends ({last:%d/%m/%Y}) before it starts ({first:%d/%m/%Y})")
    for candidate in _aligned(first, tz):
        if candidate.last == last:
            return candidate
    if first == last:
        return day_period(first, tz)
    return Period("custom", first, last, tz)


def _aligned(first: date, tz: str) -> list[Period]:
    out: list[Period] = []
    if first.day == 1:
        out.append(month_period(first.year, first.month, tz))
        if first.month in (1, 4, 7, 10):
            out.append(quarter_period(first.year, (first.month - 1) // 3 + 1, tz))
        if first.month in (1, 7):
            out.append(half_period(first.year, 1 if first.month == 1 else 2, tz))
        if first.month == 1:
            out.append(year_period(first.year, tz))
    if first.weekday() == 0:
        out.append(week_period(first, tz))
    return out


def period_from_range(start: datetime, end: datetime, tz: str) -> Period:
    """The period for a half-open UTC range [start, end): the local days it covers (end exclusive)."""
    zone = ZoneInfo(tz)
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    if end.tzinfo is None:
        end = end.replace(tzinfo=zone)
    first = start.astimezone(zone).date()
    end_local = end.astimezone(zone)
    last = end_local.date() - timedelta(days=1) if end_local.timetz().replace(tzinfo=None) == time(0) \
        else end_local.date()
    return custom_period(first, max(first, last), tz)


def parse_day(value: str) -> date:
    """`YYYY-MM-DD` or `dd/mm/yyyy`."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise DuluanError(f"not a date: {value!r} (expected YYYY-MM-DD or dd/mm/yyyy)")


def parse_month(value: str, tz: str) -> Period:
    """`YYYY-MM` or `mm/yyyy`."""
    for fmt in ("%Y-%m", "%m/%Y"):
        try:
            d = datetime.strptime(value.strip(), fmt).date()
            return month_period(d.year, d.month, tz)
        except ValueError:
            continue
    raise DuluanError(f"not a month: {value!r} (expected YYYY-MM)")


def today_local(tz: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()
