"""Shared pieces of report content: how an article is shown (title, gloss, outlet, summary…) and
the names the reports print for outlets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from duluan.models import Article
from duluan.timeutil import fmt_local
from reports.topics import SENTIMENT_VI, country_name, language_name

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")


def lead_summary(article: Article, sentences: int = 3, max_chars: int = 420) -> str:
    """The enrichment summary when present, else the first sentences of the text."""
    text = (article.summary or "").strip()
    if not text:
        body = " ".join((article.text or "").split())
        parts = _SENTENCE.split(body)
        text = " ".join(parts[:sentences])
    if len(text) > max_chars:
        text = text[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return text


@dataclass
class ArticleItem:
    """One article as a report lists it."""

    id: str
    title: str
    gloss: str | None
    outlet: str
    country: str
    language: str
    time: str
    sentiment: int | None
    sentiment_vi: str
    summary: str
    url: str
    foreign: bool
    risk: float
    topics: list[str]
    story_id: str | None
    outlets: list[str] = field(default_factory=list)  # the other outlets that ran the same story

    @property
    def sentiment_class(self) -> str:
        return {1: "pos", 0: "neu", -1: "neg"}.get(self.sentiment, "na") if self.sentiment is not None else "na"


def article_item(a: Article, tz: str, source_names: dict[str, str]) -> ArticleItem:
    foreign = str(a.source_kind) == "foreign"
    sent = a.effective_sentiment()
    gloss = a.title_vi if (foreign or a.language != "vi") and a.title_vi else None
    return ArticleItem(
        id=a.id, title=a.title or "(không có tiêu đề)", gloss=gloss,
        outlet=a.source_name or source_names.get(a.source_id, a.source_id),
        country=country_name(a.source_country), language=language_name(a.language),
        time=fmt_local(a.published_at, tz), sentiment=sent, sentiment_vi=SENTIMENT_VI.get(sent, "Chưa đánh giá"),
        summary=lead_summary(a), url=a.url, foreign=foreign, risk=a.risk, topics=a.effective_topics(),
        story_id=a.story_id,
    )


def source_names(sources: list[Any]) -> dict[str, str]:
    """Source id → outlet name from the catalogue (plus custom sources)."""
    return {s.id: s.name for s in sources}
