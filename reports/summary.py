"""The monthly / periodic summary for the Steering Committee ("Báo cáo tổng hợp dư luận báo chí …"):
figures with the change against the previous period, domestic and foreign press, topics (the
sensitive ones called out), sentiment over time, most-covered stories, the outlets and
correspondents that wrote most about the city, the misleading reports detected and how each was
handled, and the analyst's assessment and proposals (`ReportDraft`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from duluan.models import Story
from reports.alerts_data import AlertSummary
from reports.content import ArticleItem, article_item
from reports.figures import Figures, add_previous_topics, compute_figures, relevant_query
from reports.periods import Period
from reports.topics import TopicNames, country_name

CORRESPONDENT_CAP = 8_000  # foreign articles read for the by-author count (authors are not an index dimension)
PLACEHOLDER_ASSESSMENT = "(Phần nhận định, đánh giá do cán bộ phân tích bổ sung trước khi phát hành.)"
PLACEHOLDER_PROPOSALS = "(Phần kiến nghị, đề xuất do cán bộ phân tích bổ sung trước khi phát hành.)"


@dataclass
class OutletRow:
    name: str
    kind: str
    country: str
    count: int


@dataclass
class StoryRow:
    title: str
    articles: int
    outlets: list[str]
    countries: list[str]
    foreign: int
    first_seen: str


@dataclass
class Draft:
    """The analyst's editable parts; `edited` is False when the placeholders are shown."""

    assessment: str
    proposals: str
    number: str
    edited: bool


@dataclass
class SummaryData:
    period: Period
    kind: str
    subject: str
    figures: Figures
    previous: Figures
    stories: list[StoryRow]
    outlets_domestic: list[OutletRow]
    outlets_foreign: list[OutletRow]
    correspondents: list[tuple[str, str, int]]
    correspondents_capped: bool
    negative_foreign: list[ArticleItem]
    alerts: AlertSummary
    draft: Draft
    notes: list[str]
    issued_on: datetime
    topics: TopicNames
    charts: dict[str, bytes] = field(default_factory=dict)


def subject_for(period: Period) -> str:
    """"Tổng hợp dư luận báo chí trong và ngoài nước về Thành phố tháng 10/2026"."""
    return f"Tổng hợp dư luận báo chí trong và ngoài nước về Thành phố {period.label_vi}"


def _outlets(fig: Figures, source_meta: dict[str, tuple[str, str]], kind: str, n: int = 10) -> list[OutletRow]:
    rows = []
    for sid, k, count in fig.sources:
        if k != kind:
            continue
        name, country = source_meta.get(sid, (sid, ""))
        rows.append(OutletRow(name, k, country_name(country) if country else "", count))
        if len(rows) >= n:
            break
    return rows


def _correspondents(index: Any, period: Period, threshold: float,
                    source_names: dict[str, str]) -> tuple[list[tuple[str, str, int]], bool]:
    """(author, outlet, articles) of the foreign press — the correspondents the office needs to know —
    over the newest `CORRESPONDENT_CAP` foreign articles of the period."""
    counts: Counter[tuple[str, str]] = Counter()
    read = 0
    cursor: str | None = None
    while read < CORRESPONDENT_CAP:
        page = index.search(relevant_query(period, threshold, kinds=("foreign",), limit=1000, cursor=cursor))
        for a in page.items:
            outlet = a.source_name or source_names.get(a.source_id, a.source_id)
            for author in a.authors[:4]:
                name = " ".join(author.split())
                if name and name.lower() != outlet.lower() and len(name) < 80:
                    counts[(name, outlet)] += 1
        read += len(page.items)
        if not page.next_cursor or not page.items:
            return [(a, o, c) for (a, o), c in counts.most_common(15)], False
        cursor = page.next_cursor
    return [(a, o, c) for (a, o), c in counts.most_common(15)], True


def _story_rows(stories: list[Story], source_names: dict[str, str], tz: str) -> list[StoryRow]:
    from duluan.timeutil import fmt_local

    return [StoryRow(s.title or "(không có tiêu đề)", s.articles, [source_names.get(o, o) for o in s.outlets],
                     [country_name(c) for c in s.countries], s.foreign, fmt_local(s.first_seen, tz))
            for s in stories]


def summary_notes(fig: Figures, period: Period, now: datetime) -> list[str]:
    """What is missing from the period's data, said plainly in the report."""
    notes = []
    today = now.astimezone(ZoneInfo(period.tz)).date()
    if period.last >= today:
        notes.append(f"Kỳ báo cáo chưa kết thúc tại thời điểm lập báo cáo ({today:%d/%m/%Y}): số liệu tính đến "
                     "thời điểm lập báo cáo.")
    gaps = fig.days_without_data(until=min(period.last, today))
    if fig.collected == 0:
        notes.append("Không có dữ liệu thu thập trong kỳ báo cáo.")
    elif gaps:
        listed = ", ".join(f"{d:%d/%m}" for d in gaps[:15]) + (" …" if len(gaps) > 15 else "")
        notes.append(f"Thiếu dữ liệu thu thập {len(gaps)} ngày trong kỳ ({listed}); số liệu các ngày này "
                     "không đầy đủ.")
    if fig.total and fig.unlabelled:
        notes.append(f"{fig.unlabelled} tin bài ({fig.unlabelled * 100 // max(fig.total, 1)}%) chưa được đánh giá "
                     "sắc thái; tỷ lệ sắc thái tính trên các tin bài đã đánh giá.")
    if fig.collected and not fig.total:
        notes.append("Có tin bài được thu thập nhưng chưa có tin bài nào được xác định là viết về Thành phố "
                     "(có thể bước phân tích mức độ liên quan chưa chạy).")
    return notes


def build_summary(index: Any, period: Period, kind: str, threshold: float, alerts: AlertSummary,
                  topics: TopicNames, sources: list[Any], draft: Draft, now: datetime | None = None) -> SummaryData:
    """Everything the summary shows, read through the ArticleIndex contract."""
    now = now or datetime.now(UTC)
    names = {s.id: s.name for s in sources}
    meta = {s.id: (s.name, s.country) for s in sources}
    fig = compute_figures(index, period, threshold)
    prev_period = period.previous()
    prev = compute_figures(index, prev_period, threshold, detail=False)
    add_previous_topics(index, fig, prev_period, threshold)
    # outlets outside the catalogue (imports, ad-hoc sources): take the name from one of their articles
    for sid, _k, _c in fig.sources[:40]:
        if sid not in meta:
            page = index.search(relevant_query(period, threshold, sources=(sid,), limit=1))
            if page.items:
                a = page.items[0]
                meta[sid] = (a.source_name or sid, a.source_country)
                names[sid] = a.source_name or sid
    stories = index.stories(relevant_query(period, threshold), limit=10, min_articles=2)
    neg = index.search(relevant_query(period, threshold, kinds=("foreign",), sentiments=(-1,), sort="risk", limit=10))
    correspondents, capped = _correspondents(index, period, threshold, names)
    return SummaryData(
        period=period, kind=kind, subject=subject_for(period), figures=fig, previous=prev,
        stories=_story_rows(stories, names, period.tz),
        outlets_domestic=_outlets(fig, meta, "domestic"), outlets_foreign=_outlets(fig, meta, "foreign"),
        correspondents=correspondents, correspondents_capped=capped,
        negative_foreign=[article_item(a, period.tz, names) for a in neg.items],
        alerts=alerts, draft=draft, notes=summary_notes(fig, period, now), issued_on=now, topics=topics,
    )
