"""The daily digest ("Bản tin theo dõi dư luận báo chí ngày dd/mm/yyyy"): headline figures, the
alerts of the day, then the notable articles grouped by topic — foreign negative items first,
a story that spread across outlets shown once with its outlets listed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from duluan.models import Article
from reports.alerts_data import AlertSummary
from reports.content import ArticleItem, article_item
from reports.figures import Figures, compute_figures, relevant_query
from reports.periods import Period
from reports.topics import TopicNames

MAX_ITEMS = 40  # notable items in one digest: an office reads it over coffee
CANDIDATES = 1000  # per candidate list (riskiest, foreign, negative)


@dataclass
class TopicGroup:
    code: str
    name: str
    sensitive: bool
    items: list[ArticleItem] = field(default_factory=list)


@dataclass
class DigestData:
    period: Period
    title: str
    figures: Figures
    previous: Figures
    alerts: AlertSummary
    groups: list[TopicGroup]
    shown: int
    notes: list[str]
    generated_at: datetime

    @property
    def empty(self) -> bool:
        return self.figures.total == 0


def _rank(a: Article) -> tuple[int, int, float, float]:
    """Foreign negative first, then negative, then foreign, then by risk and recency."""
    foreign = str(a.source_kind) == "foreign"
    neg = a.effective_sentiment() == -1
    return (0 if (foreign and neg) else 1 if neg else 2 if foreign else 3, 0, -a.risk, -a.published_at.timestamp())


def _candidates(index: Any, period: Period, threshold: float) -> list[Article]:
    """The riskiest, the foreign and the negative articles of the day (deduplicated)."""
    seen: dict[str, Article] = {}
    for extra in ({"sort": "risk"}, {"kinds": ("foreign",)}, {"sentiments": (-1,), "sort": "risk"}):
        page = index.search(relevant_query(period, threshold, limit=CANDIDATES, **extra))
        for a in page.items:
            seen.setdefault(a.id, a)
    return list(seen.values())


def _story_outlets(index: Any, period: Period, threshold: float, story_id: str, shown: str,
                   source_names: dict[str, str]) -> list[str]:
    """The other outlets that ran the story during the day (names as the articles carry them)."""
    page = index.search(relevant_query(period, threshold, story_id=story_id, limit=200))
    names: list[str] = []
    for a in page.items:
        name = a.source_name or source_names.get(a.source_id, a.source_id)
        if name != shown and name not in names:
            names.append(name)
    return names


def build_digest(index: Any, period: Period, threshold: float, alerts: AlertSummary, topics: TopicNames,
                 source_names: dict[str, str], now: datetime | None = None) -> DigestData:
    """Everything the digest shows for one day (`period`), read through the ArticleIndex contract."""
    tz = period.tz
    fig = compute_figures(index, period, threshold)
    prev = compute_figures(index, period.previous(), threshold, detail=False)
    arts = sorted(_candidates(index, period, threshold), key=_rank)
    # one entry per story: the best-ranked article stands for it, with every outlet that ran it
    chosen: list[ArticleItem] = []
    seen_stories: set[str] = set()
    for a in arts:
        if a.story_id and a.story_id in seen_stories:
            continue
        item = article_item(a, tz, source_names)
        if a.story_id:
            seen_stories.add(a.story_id)
            item.outlets = _story_outlets(index, period, threshold, a.story_id, item.outlet, source_names)
        chosen.append(item)
        if len(chosen) >= MAX_ITEMS:
            break
    groups: dict[str, TopicGroup] = {}
    for item in chosen:
        codes = sorted(item.topics, key=topics.order)
        code = codes[0] if codes else ""
        g = groups.setdefault(code, TopicGroup(code, topics.name(code) if code else "Chủ đề khác",
                                               topics.sensitive(code)))
        g.items.append(item)
    ordered = sorted(groups.values(), key=lambda g: (topics.order(g.code) if g.code else (2, 0)))
    notes = digest_notes(fig, period, now)
    return DigestData(
        period=period, title=f"BẢN TIN THEO DÕI DƯ LUẬN BÁO CHÍ {period.label_vi.upper()}",
        figures=fig, previous=prev, alerts=alerts, groups=ordered, shown=len(chosen), notes=notes,
        generated_at=now or datetime.now(UTC),
    )


def digest_notes(fig: Figures, period: Period, now: datetime | None = None) -> list[str]:
    """What the reader must know about the data: nothing collected, missing labels, a day not over."""
    notes: list[str] = []
    now = now or datetime.now(UTC)
    today = now.astimezone(ZoneInfo(period.tz)).date()
    if fig.collected == 0:
        notes.append("Không có dữ liệu thu thập trong ngày (hệ thống không ghi nhận tin bài nào) — "
                     "cần kiểm tra tình trạng thu thập của các nguồn tin.")
    elif fig.total == 0:
        notes.append(f"Trong ngày hệ thống thu thập {fig.collected} tin bài nhưng không có tin bài nào "
                     "viết về Thành phố.")
    if fig.unlabelled:
        notes.append(f"{fig.unlabelled} tin bài chưa được đánh giá sắc thái (dữ liệu phân tích chưa đầy đủ).")
    if period.last >= today:
        notes.append("Ngày chưa kết thúc tại thời điểm lập bản tin: số liệu chưa đầy đủ.")
    return notes
