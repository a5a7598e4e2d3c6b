"""Search: every filter of `Query`, the query syntax, sorting and pagination — same answers on
every backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from duluan.errors import QuerySyntaxError
from duluan.models import Article
from index.base import ArticleIndex, Query


def ids_of(idx: ArticleIndex, q: Query) -> set[str]:
    page = idx.search(Query(**{**q.__dict__, "limit": 1000}))
    return {a.id for a in page.items}


def names(arts: dict[str, Article], *keys: str) -> set[str]:
    return {arts[k].id for k in keys}


def where(arts: dict[str, Article], pred: Callable[[Article], bool]) -> set[str]:
    """The oracle: ids of the dataset articles the predicate holds for."""
    return {a.id for a in arts.values() if pred(a)}


def eff_relevance(a: Article) -> float:
    return (1.0 if a.review.relevant else 0.0) if a.review.relevant is not None else a.relevance


FILTERS: list[tuple[str, Query, Callable[[Article], bool]]] = [
    ("no filter", Query(), lambda a: True),
    ("language", Query(languages=("vi",)), lambda a: a.language == "vi"),
    ("languages OR", Query(languages=("en", "fr")), lambda a: a.language in ("en", "fr")),
    ("source", Query(sources=("vnexpress", "baomoi")), lambda a: a.source_id in ("vnexpress", "baomoi")),
    ("country", Query(countries=("US", "CN")), lambda a: a.source_country in ("US", "CN")),
    ("kind", Query(kinds=("foreign",)), lambda a: a.source_kind == "foreign"),
    ("topic", Query(topics=("flooding",)), lambda a: "flooding" in a.effective_topics()),
    ("topics OR", Query(topics=("investment", "tourism")),
     lambda a: bool({"investment", "tourism"} & set(a.effective_topics()))),
    ("sentiment", Query(sentiments=(-1,)), lambda a: a.effective_sentiment() == -1),
    ("sentiments OR", Query(sentiments=(0, 1)), lambda a: a.effective_sentiment() in (0, 1)),
    ("min relevance", Query(min_relevance=0.85), lambda a: eff_relevance(a) >= 0.85),
    ("relevant only", Query(relevant_only=True), lambda a: a.effective_relevant()),
    ("min risk", Query(min_risk=45), lambda a: a.risk >= 45),
    ("story", Query(story_id="s-flood"), lambda a: a.story_id == "s-flood"),
    ("reviewed", Query(reviewed=True), lambda a: a.review.reviewed),
    ("not reviewed", Query(reviewed=False), lambda a: not a.review.reviewed),
    ("since", Query(since=datetime(2026, 10, 6, 8, tzinfo=UTC)),
     lambda a: a.published_at >= datetime(2026, 10, 6, 8, tzinfo=UTC)),
    ("until (exclusive)", Query(until=datetime(2026, 10, 6, 8, tzinfo=UTC)),
     lambda a: a.published_at < datetime(2026, 10, 6, 8, tzinfo=UTC)),
    ("since+until", Query(since=datetime(2026, 10, 6, tzinfo=UTC), until=datetime(2026, 10, 9, tzinfo=UTC)),
     lambda a: datetime(2026, 10, 6, tzinfo=UTC) <= a.published_at < datetime(2026, 10, 9, tzinfo=UTC)),
    ("combined", Query(kinds=("foreign",), sentiments=(-1,), min_risk=65),
     lambda a: a.source_kind == "foreign" and a.effective_sentiment() == -1 and a.risk >= 65),
]


@pytest.mark.parametrize(("name", "query", "pred"), FILTERS, ids=[f[0] for f in FILTERS])
def test_every_filter(shared_index: ArticleIndex, arts: dict[str, Article], name: str, query: Query,
                      pred: Callable[[Article], bool]) -> None:
    expected = where(arts, pred)
    assert expected, f"the dataset must exercise {name}"
    assert ids_of(shared_index, query) == expected
    assert shared_index.count(query) == len(expected)
    assert shared_index.search(query).total == len(expected)


def test_ids_filter(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    wanted = names(arts, "hoabinh", "flood_zh")
    assert ids_of(shared_index, Query(ids=tuple(wanted) + ("no-such-id",))) == wanted


def test_filters_combine_with_text(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    assert ids_of(shared_index, Query(text="ngap", kinds=("domestic",))) == names(arts, "flood_vi", "ascii", "apart")
    assert ids_of(shared_index, Query(text="ngap", languages=("en",))) == names(arts, "flood_en")


TEXT_CASES = [
    ("ngap lut", ("flood_vi", "flood_en", "apart")),            # folded words, any position
    ("ngập lụt", ("flood_vi", "flood_en", "apart")),
    ('"ngap lut"', ("flood_vi", "flood_en")),                   # phrase: adjacent only
    ('"ngập lụt"', ("flood_vi", "flood_en")),
    ("hoà", ("hoabinh", "ascii")),                              # old tone placement finds new
    ("hòa", ("hoabinh", "ascii")),
    ("hoà bình", ("hoabinh", "ascii")),
    ("hòa bình", ("hoabinh", "ascii")),
    ("hoa binh", ("hoabinh", "ascii")),
    ('="hòa bình"', ("hoabinh",)),                              # exact diacritics
    ('="hoà bình"', ("hoabinh",)),                              # …after tone normalisation
    ("tp.hcm", ("flood_vi",)),                                  # punctuation splits words
    ("TP HCM", ("flood_vi",)),
    ("志明", ("flood_zh",)),                                     # CJK: characters as words
    ("洪水", ("flood_zh",)),
    ("inondations", ("flood_fr",)),
    ("FLOODS", ("flood_en",)),                                  # case-insensitive
    ("ngap OR inondations", ("flood_vi", "flood_en", "apart", "ascii", "flood_fr")),
    ("ngap -lut", ("ascii",)),
    ("ngap NOT lut", ("ascii",)),
    ('ngap -"ngap lut"', ("ascii", "apart")),
    ("(floods OR 洪水) city", ("flood_en",)),
    ("quan*", ("flood_vi", "before_midnight")),                 # prefix: quận, quảng
    ("ngap AND lut", ("flood_vi", "flood_en", "apart")),
    ("thành phố", ("reviewed", "old")),
    ("khongxuathien", ()),
]


@pytest.mark.parametrize(("text", "keys"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text_search(shared_index: ArticleIndex, arts: dict[str, Article], text: str, keys: tuple[str, ...]) -> None:
    assert ids_of(shared_index, Query(text=text)) == names(arts, *keys)


def test_exact_flag_keeps_diacritics(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    assert ids_of(shared_index, Query(text="hòa bình")) == names(arts, "hoabinh", "ascii")
    assert ids_of(shared_index, Query(text="hòa bình", exact=True)) == names(arts, "hoabinh")


BAD_QUERIES = ['"ngập lụt', "(ngap lut", "ngap lut)", "-ngap", "NOT ngap", "ngap OR", "OR ngap", "AND ngap",
               "ngap AND", "x" * 2001, "ngap (-lut -mua)"]


@pytest.mark.parametrize("text", BAD_QUERIES)
def test_bad_syntax_raises(shared_index: ArticleIndex, text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        shared_index.search(Query(text=text))
    with pytest.raises(QuerySyntaxError):
        shared_index.count(Query(text=text))


def test_empty_text_means_no_text_filter(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    assert ids_of(shared_index, Query(text="   ")) == set(a.id for a in arts.values())


def _sorted_ids(arts: dict[str, Article], key: Callable[[Article], object], reverse: bool) -> list[str]:
    return [a.id for a in sorted(arts.values(), key=key, reverse=reverse)]


def test_sort_newest_and_oldest(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    newest = [a.id for a in shared_index.search(Query(limit=100)).items]
    assert newest == _sorted_ids(arts, lambda a: a.published_at, True)
    oldest = [a.id for a in shared_index.search(Query(limit=100, sort="oldest")).items]
    assert oldest == list(reversed(newest))


def test_sort_risk(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    got = [a.id for a in shared_index.search(Query(limit=100, sort="risk")).items]
    assert got == _sorted_ids(arts, lambda a: (a.risk, a.published_at), True)
    got = [a.id for a in shared_index.search(Query(text="ngap", sort="risk")).items]
    assert got == [arts[k].id for k in ("flood_en", "flood_vi", "apart", "ascii")]


def test_sort_relevance(shared_index: ArticleIndex, arts: dict[str, Article]) -> None:
    page = shared_index.search(Query(text="un tac", sort="relevance"))
    assert {a.id for a in page.items} == names(arts, "untac", "after_midnight", "hoabinh")
    # the article saying it in its title, five times, ranks first
    assert page.items[0].id == arts["untac"].id
    assert page.scores[0] >= page.scores[-1]
    assert len(page.scores) == len(page.items)


def test_relevance_without_text_falls_back_to_newest(shared_index: ArticleIndex) -> None:
    a = [x.id for x in shared_index.search(Query(limit=100, sort="relevance")).items]
    b = [x.id for x in shared_index.search(Query(limit=100)).items]
    assert a == b


@pytest.mark.parametrize("sort", ["newest", "oldest", "risk"])
def test_offset_pagination(shared_index: ArticleIndex, sort: str) -> None:
    full = [a.id for a in shared_index.search(Query(limit=100, sort=sort)).items]  # type: ignore[arg-type]
    pages = []
    for off in range(0, len(full) + 5, 5):
        page = shared_index.search(Query(limit=5, offset=off, sort=sort))  # type: ignore[arg-type]
        assert page.total == len(full) and page.total_exact
        pages.extend(a.id for a in page.items)
    assert pages == full


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("text", [None, "ngap OR lut OR thanh OR floods OR 洪水"])
def test_cursor_pagination(shared_index: ArticleIndex, sort: str, text: str | None) -> None:
    full = [a.id for a in shared_index.search(Query(text=text, limit=100, sort=sort)).items]  # type: ignore[arg-type]
    got: list[str] = []
    cursor = None
    for _ in range(20):
        page = shared_index.search(Query(text=text, limit=3, sort=sort, cursor=cursor))  # type: ignore[arg-type]
        got.extend(a.id for a in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == full
    assert len(set(got)) == len(got)


def test_bad_cursor_is_a_syntax_error(shared_index: ArticleIndex) -> None:
    with pytest.raises(QuerySyntaxError):
        shared_index.search(Query(cursor="not-a-cursor"))
