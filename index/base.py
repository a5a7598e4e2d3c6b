"""The `ArticleIndex` contract every backend implements, and its query/result types."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from duluan.models import Article, Story

SortOrder = Literal["newest", "oldest", "relevance", "risk"]
Dimension = Literal["day", "week", "month", "hour", "language", "country", "source", "kind", "topic", "sentiment", "story"]
DIMENSIONS: tuple[str, ...] = ("day", "week", "month", "hour", "language", "country", "source", "kind", "topic", "sentiment", "story")

# relevance ranking runs over the newest N matches (see shared PERFORMANCE.md)
RELEVANCE_CANDIDATES = 5000


def time_bucket_label(dt: datetime, kind: str) -> str:
    """The key of a time bucket, as every backend spells it: day 2026-10-05, hour 2026-10-05T07,
    month 2026-10, week 2026-W41 (ISO). `dt` is already in the office's timezone."""
    if kind == "day":
        return dt.strftime("%Y-%m-%d")
    if kind == "hour":
        return dt.strftime("%Y-%m-%dT%H")
    if kind == "month":
        return dt.strftime("%Y-%m")
    iso = dt.isocalendar()
    return f"{iso[0]}-W{iso[1]:02d}"


@dataclass(frozen=True)
class Query:
    """A search over the index. Every list filter is OR within itself and AND across filters.

    `text` uses the user query syntax: words, "phrases", OR, AND, NOT / -word, (groups), prefix*;
    matching ignores diacritics unless a term or phrase is prefixed with `=` (`="ngập lụt"`) or
    `exact` is set. Sentiment and topic filters use the analyst-corrected labels."""

    text: str | None = None
    exact: bool = False
    since: datetime | None = None
    until: datetime | None = None
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    sentiments: tuple[int, ...] = ()
    min_relevance: float | None = None
    min_risk: float | None = None
    story_id: str | None = None
    reviewed: bool | None = None
    relevant_only: bool = False
    ids: tuple[str, ...] = ()
    sort: SortOrder = "newest"
    limit: int = 20
    offset: int = 0
    cursor: str | None = None


@dataclass
class Page:
    """One page of results: articles with their scores, the total (capped when `total_exact` is
    False) and a cursor for the next page (search_after style)."""

    items: list[Article]
    total: int
    scores: list[float] = field(default_factory=list)
    total_exact: bool = True
    next_cursor: str | None = None


@dataclass(frozen=True)
class Bucket:
    key: tuple[str, ...]
    count: int


@runtime_checkable
class ArticleIndex(Protocol):
    """What alerts, reports and the web read through; SQLite and Elasticsearch implement it."""

    def upsert(self, articles: Iterable[Article]) -> int:
        """Insert or replace by id (idempotent); returns the number written."""
        ...

    def get(self, article_id: str) -> Article | None: ...

    def get_many(self, ids: Sequence[str]) -> list[Article]: ...

    def search(self, query: Query) -> Page: ...

    def count(self, query: Query) -> int: ...

    def aggregate(self, query: Query, by: Sequence[str], tz: str = "Asia/Ho_Chi_Minh",
                  size: int | None = None) -> list[Bucket]:
        """Counts grouped by one or more dimensions (`DIMENSIONS`); time dimensions in `tz`.
        Buckets are ordered by key for time dimensions, by count (desc) otherwise."""
        ...

    def stories(self, query: Query, limit: int = 20, min_articles: int = 2) -> list[Story]: ...

    def exists(self, ids: Sequence[str]) -> set[str]: ...

    def delete(self, ids: Sequence[str]) -> int: ...

    def retention(self, before: datetime) -> int:
        """Delete every article published before `before`; returns how many."""
        ...

    def iter_all(self, batch: int = 1000, after: str | None = None) -> Iterable[Article]:
        """Every article, in a stable order (for copy/reindex/reenrich); `after` resumes."""
        ...

    def stats(self) -> dict[str, int | str]: ...

    def close(self) -> None: ...
