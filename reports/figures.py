"""The figures of a report period, read only through the `ArticleIndex` contract (a handful of
`aggregate` calls, so a month of 300,000 articles costs a few table scans, not 300,000 reads).

"About the city" means relevance ≥ `settings.enrichment.relevance_threshold` after the analyst's
correction (the index stores the corrected relevance). Missing data is counted, never hidden:
articles without a sentiment, days with nothing collected at all."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from index.base import Query
from reports.periods import Period


def _sent(key: str) -> int | None:
    return int(key) if key not in ("", "None") else None


@dataclass
class TopicRow:
    code: str
    count: int = 0
    domestic: int = 0
    foreign: int = 0
    negative: int = 0
    positive: int = 0
    previous: int = 0


@dataclass
class Figures:
    """Counts for one period. `total` counts articles about the city; `collected` every article."""

    period: Period
    time_unit: str
    collected: int = 0
    total: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    sentiment: Counter[int | None] = field(default_factory=Counter)
    sentiment_by_kind: dict[str, Counter[int | None]] = field(default_factory=lambda: defaultdict(Counter))
    by_time_kind: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_time_sentiment: dict[str, Counter[int | None]] = field(default_factory=lambda: defaultdict(Counter))
    languages: Counter[str] = field(default_factory=Counter)
    languages_foreign: Counter[str] = field(default_factory=Counter)
    countries_foreign: Counter[str] = field(default_factory=Counter)
    topics: dict[str, TopicRow] = field(default_factory=dict)
    sources: list[tuple[str, str, int]] = field(default_factory=list)  # (source id, kind, count)
    collected_by_day: dict[str, int] = field(default_factory=dict)

    @property
    def domestic(self) -> int:
        return self.by_kind.get("domestic", 0)

    @property
    def foreign(self) -> int:
        return self.by_kind.get("foreign", 0)

    @property
    def unlabelled(self) -> int:
        """Articles about the city without a sentiment label (enrichment missing)."""
        return self.sentiment.get(None, 0)

    def days_without_data(self, until: date | None = None) -> list[date]:
        """Local days of the period (up to `until`) on which nothing at all was collected."""
        return [d for d in self.period.days if (until is None or d <= until)
                and self.collected_by_day.get(d.isoformat(), 0) == 0]


def time_unit_for(period: Period) -> str:
    """Bucket size for "over time" figures: days up to two months, then weeks, then months."""
    n = period.length_days
    return "day" if n <= 62 else "week" if n <= 190 else "month"


def relevant_query(period: Period, threshold: float, **filters: Any) -> Query:
    return Query(since=period.start, until=period.end, min_relevance=threshold, **filters)


def time_buckets(period: Period, unit: str) -> list[tuple[str, datetime, datetime]]:
    """(label, start, end) of every day / ISO week / month of the period, clipped to it. Labels are
    `2026-10-05`, `2026-W41`, `2026-10` (what the index's time dimensions would return)."""
    out: list[tuple[str, datetime, datetime]] = []
    days = period.days
    i = 0
    while i < len(days):
        d = days[i]
        if unit == "day":
            label, j = d.isoformat(), i + 1
        elif unit == "week":
            iso = d.isocalendar()
            label = f"{iso[0]}-W{iso[1]:02d}"
            j = i + 1
            while j < len(days) and days[j].weekday() != 0:
                j += 1
        else:
            label = f"{d.year}-{d.month:02d}"
            j = i + 1
            while j < len(days) and days[j].day != 1:
                j += 1
        sub = Period("custom", d, days[j - 1], period.tz)
        out.append((label, sub.start, sub.end))
        i = j
    return out


def compute_figures(index: Any, period: Period, threshold: float, detail: bool = True) -> Figures:
    """All figures of `period`. `detail=False` computes only totals, kinds and sentiment (enough
    for the previous-period comparison).

    Time series are gathered one bucket (day, week or month) at a time as key-range aggregates:
    that costs the same rows as grouping by the index's time dimension, without converting every
    row's timestamp to local time."""
    tz = period.tz
    unit = time_unit_for(period)
    fig = Figures(period=period, time_unit=unit)
    q = relevant_query(period, threshold)
    for label, start, end in time_buckets(period, unit):
        fig.by_time_kind[label] = Counter()
        fig.by_time_sentiment[label] = Counter()
        for b in index.aggregate(replace(q, since=start, until=end), by=["kind", "sentiment"], tz=tz):
            kind, s = b.key
            sent = _sent(s)
            fig.total += b.count
            fig.by_kind[kind] += b.count
            fig.sentiment[sent] += b.count
            fig.sentiment_by_kind[kind][sent] += b.count
            fig.by_time_kind[label][kind] += b.count
            fig.by_time_sentiment[label][sent] += b.count
    for label, start, end in time_buckets(period, "day"):
        # every article is domestic or foreign; saying so lets the index answer from its (kind, key) index
        fig.collected_by_day[label] = index.count(Query(since=start, until=end, kinds=("domestic", "foreign")))
    fig.collected = sum(fig.collected_by_day.values())
    if not detail:
        return fig
    for b in index.aggregate(q, by=["kind", "language", "country"], tz=tz):
        kind, lang, country = b.key
        fig.languages[lang or "und"] += b.count
        if kind == "foreign":
            fig.languages_foreign[lang or "und"] += b.count
            fig.countries_foreign[country or "ZZ"] += b.count
    for b in index.aggregate(q, by=["topic", "kind", "sentiment"], tz=tz):
        code, kind, s = b.key
        row = fig.topics.setdefault(code, TopicRow(code))
        row.count += b.count
        if kind == "foreign":
            row.foreign += b.count
        else:
            row.domestic += b.count
        sent = _sent(s)
        if sent == -1:
            row.negative += b.count
        elif sent == 1:
            row.positive += b.count
    fig.sources = [(b.key[0], b.key[1], b.count) for b in index.aggregate(q, by=["source", "kind"], tz=tz)]
    return fig


def add_previous_topics(index: Any, fig: Figures, previous: Period, threshold: float) -> None:
    """Fill `TopicRow.previous` with the previous period's counts (for the change column)."""
    for b in index.aggregate(relevant_query(previous, threshold), by=["topic"], tz=previous.tz):
        code = b.key[0]
        if code in fig.topics:
            fig.topics[code].previous = b.count
        else:
            fig.topics[code] = TopicRow(code, previous=b.count)


def change(current: int, previous: int) -> str:
    """"+12,5%" / "−3,0%" / "mới" (Vietnamese decimal comma), relative to the previous period."""
    if previous == 0:
        return "—" if current == 0 else "mới"
    pct = (current - previous) * 100.0 / previous
    sign = "+" if pct > 0 else "−" if pct < 0 else "±"
    return f"{sign}{abs(pct):.1f}%".replace(".", ",")


def share(part: int, whole: int) -> str:
    """"37,5%" with a Vietnamese decimal comma; "—" when the whole is zero."""
    if whole <= 0:
        return "—"
    return f"{part * 100.0 / whole:.1f}%".replace(".", ",")


def num(n: int) -> str:
    """Thousands with a dot, as Vietnamese documents write them (12.345)."""
    return f"{n:,}".replace(",", ".")
