"""Aggregations and stories: every dimension, time zones at day boundaries, analyst corrections
winning — checked against counts computed straight from the articles."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from duluan.errors import IndexError_
from duluan.models import Article
from index.base import DIMENSIONS, ArticleIndex, Bucket, Query

TIME = ("day", "week", "month", "hour")


def local_key(a: Article, dim: str, tz: str) -> str:
    dt = a.published_at.astimezone(ZoneInfo(tz))
    if dim == "day":
        return dt.strftime("%Y-%m-%d")
    if dim == "hour":
        return dt.strftime("%Y-%m-%dT%H")
    if dim == "month":
        return dt.strftime("%Y-%m")
    y, w, _ = dt.isocalendar()
    return f"{y}-W{w:02d}"


def keys_of(a: Article, dim: str, tz: str) -> list[str]:
    """The oracle: the bucket keys one article falls in for one dimension."""
    if dim in TIME:
        return [local_key(a, dim, tz)]
    if dim == "topic":
        return sorted(set(a.effective_topics()))
    if dim == "story":
        return [a.story_id] if a.story_id else []
    if dim == "sentiment":
        s = a.effective_sentiment()
        return ["" if s is None else str(s)]
    return [{"language": a.language, "country": a.source_country, "source": a.source_id,
             "kind": str(a.source_kind)}[dim]]


def oracle(arts: dict[str, Article], dims: list[str], tz: str = "Asia/Ho_Chi_Minh") -> Counter[tuple[str, ...]]:
    c: Counter[tuple[str, ...]] = Counter()
    for a in arts.values():
        combos: list[tuple[str, ...]] = [()]
        for d in dims:
            combos = [k + (v,) for k in combos for v in keys_of(a, d, tz)]
        c.update(combos)
    return c


def check_order(buckets: list[Bucket], dims: list[str]) -> None:
    if all(d in TIME for d in dims):
        assert [b.key for b in buckets] == sorted(b.key for b in buckets)
    else:
        counts = [b.count for b in buckets]
        assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("dim", DIMENSIONS)
def test_each_dimension(shared_index: ArticleIndex, arts: dict[str, Article], dim: str) -> None:
    buckets = shared_index.aggregate(Query(), by=[dim])
    assert Counter({b.key: b.count for b in buckets}) == oracle(arts, [dim])
    assert len({b.key for b in buckets}) == len(buckets)
    check_order(buckets, [dim])


@pytest.mark.parametrize("dims", [["day", "topic"], ["source", "sentiment"], ["kind", "language", "country"],
                                  ["month", "kind"]])
def test_several_dimensions(shared_index: ArticleIndex, arts: dict[str, Article], dims: list[str]) -> None:
    buckets = shared_index.aggregate(Query(), by=dims)
    assert Counter({b.key: b.count for b in buckets}) == oracle(arts, dims)
    check_order(buckets, dims)


def test_aggregate_respects_query(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    q = Query(text="ngap OR inondations OR floods", kinds=("foreign",))
    buckets = shared_index.aggregate(q, by=["language"])
    assert {b.key: b.count for b in buckets} == {("en",): 1, ("fr",): 1}


def test_aggregate_size_keeps_the_biggest(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    full = shared_index.aggregate(Query(), by=["topic"])
    top = shared_index.aggregate(Query(), by=["topic"], size=2)
    assert len(top) == 2
    assert [b.count for b in top] == [b.count for b in full[:2]]
    assert top[0] == Bucket(("flooding",), oracle(arts, ["topic"])[("flooding",)])


def test_unknown_dimension(shared_index: ArticleIndex) -> None:
    with pytest.raises(IndexError_):
        shared_index.aggregate(Query(), by=["colour"])


def test_day_boundary_in_office_timezone(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    # 23:30 UTC on 5 Oct is 06:30 on 6 Oct in Hồ Chí Minh City; 16:59/17:00 UTC straddle local midnight
    q = Query(ids=(arts["flood_vi"].id, arts["before_midnight"].id, arts["after_midnight"].id))
    local = {b.key: b.count for b in shared_index.aggregate(q, by=["day"])}
    assert local == {("2026-10-06",): 1, ("2026-10-12",): 1, ("2026-10-13",): 1}
    utc = {b.key: b.count for b in shared_index.aggregate(q, by=["day"], tz="UTC")}
    assert utc == {("2026-10-05",): 1, ("2026-10-12",): 2}
    hours = [b.key[0] for b in shared_index.aggregate(q, by=["hour"])]
    assert hours == ["2026-10-06T06", "2026-10-12T23", "2026-10-13T00"]
    paris = {b.key: b.count for b in shared_index.aggregate(q, by=["day"], tz="Europe/Paris")}
    assert paris == {("2026-10-06",): 1, ("2026-10-12",): 2}


def test_week_and_month_boundaries(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    # 2026-10-12 is a Monday: 16:59 UTC is still Monday locally, week 42 either way
    q = Query(ids=(arts["old"].id, arts["flood_vi"].id))
    assert {b.key for b in shared_index.aggregate(q, by=["month"])} == {("2026-09",), ("2026-10",)}
    assert {b.key for b in shared_index.aggregate(q, by=["week"])} == {("2026-W36",), ("2026-W41",)}
    # in UTC the 23:30 article is Monday 5 Oct's… still week 41; in New York the old one is 31 Aug
    assert {b.key for b in shared_index.aggregate(q, by=["month"], tz="America/New_York")} == {("2026-08",), ("2026-10",)}


def test_corrections_win(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    reviewed = arts["reviewed"]
    assert reviewed.sentiment is not None and reviewed.sentiment.label == -1
    q = Query(ids=(reviewed.id,))
    assert shared_index.aggregate(q, by=["sentiment"]) == [Bucket(("1",), 1)]
    assert {b.key for b in shared_index.aggregate(q, by=["topic"])} == {("investment",), ("economy",)}
    assert shared_index.count(Query(ids=(reviewed.id,), sentiments=(-1,))) == 0
    assert shared_index.count(Query(ids=(reviewed.id,), sentiments=(1,))) == 1
    assert shared_index.count(Query(ids=(reviewed.id,), topics=("trade",))) == 0
    assert shared_index.count(Query(ids=(reviewed.id,), topics=("investment",))) == 1
    assert shared_index.count(Query(ids=(reviewed.id,), min_relevance=0.9)) == 1
    got = shared_index.get(reviewed.id)
    assert got is not None and got.review.note == "auto labels were wrong" and got.sentiment is not None
    assert got.sentiment.label == -1  # the automatic label is kept beside the correction


def test_stories(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    stories = shared_index.stories(Query())
    assert [s.id for s in stories] == ["s-flood", "s-traffic"]
    flood = stories[0]
    members = [a for a in arts.values() if a.story_id == "s-flood"]
    first = min(members, key=lambda a: a.published_at)
    assert flood.articles == len(members) == 4
    assert flood.title == first.title
    assert flood.first_seen == first.published_at
    assert flood.last_seen == max(a.published_at for a in members)
    assert flood.outlets == sorted({a.source_id for a in members})
    assert flood.countries == ["CN", "FR", "US", "VN"]
    assert flood.languages == ["en", "fr", "vi", "zh"]
    assert flood.foreign == 3
    assert [s.id for s in shared_index.stories(Query(), min_articles=3)] == ["s-flood"]
    assert [s.id for s in shared_index.stories(Query(), limit=1)] == ["s-flood"]
    assert [s.id for s in shared_index.stories(Query(kinds=("domestic",)))] == ["s-traffic"]
    assert shared_index.stories(Query(since=datetime(2026, 11, 1, tzinfo=UTC))) == []
