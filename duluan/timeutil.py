"""Dates as the office sees them: parsing user input and formatting in the office's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from duluan.errors import DuluanError


def parse_user_datetime(value: str, tz: str, end: bool = False) -> datetime:
    """`YYYY-MM-DD` (start of that day in `tz`, or the start of the next day when `end`), or
    `dd/mm/yyyy`, or full ISO 8601. Returns aware UTC."""
    value = value.strip()
    zone = ZoneInfo(tz)
    d: date | None = None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            d = datetime.strptime(value, fmt).date()
            break
        except ValueError:
            continue
    if d is not None:
        if end:
            d = d + timedelta(days=1)
        return datetime.combine(d, time(0), zone).astimezone(UTC)
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DuluanError(f"not a date: {value!r} (expected YYYY-MM-DD, dd/mm/yyyy or ISO 8601)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone)
    return dt.astimezone(UTC)


def fmt_local(dt: datetime | None, tz: str, with_time: bool = True) -> str:
    """dd/mm/yyyy HH:MM in the office's timezone."""
    if dt is None:
        return ""
    local = dt.astimezone(ZoneInfo(tz))
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
