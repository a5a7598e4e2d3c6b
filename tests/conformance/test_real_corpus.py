"""The 383 real demo articles: what the index finds must be what the words say.

The oracle tokenises each article with `index.query_parser.index_tokens` (the documented word
split) and checks word, phrase and prefix searches, counts and day buckets against it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from duluan.models import Article
from index.base import ArticleIndex, Query
from index.query_parser import index_tokens
from tests.conformance.conftest import BACKENDS, demo_articles, open_backend


@pytest.fixture(scope="module")
def corpus() -> list[Article]:
    return demo_articles()


@pytest.fixture(scope="module", params=BACKENDS)
def real_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               corpus: list[Article]) -> Iterator[Any]:
    idx, dispose = open_backend(request.param, tmp_path_factory.mktemp("real"))
    idx.upsert(corpus)
    yield idx
    dispose()


_TOKENS: dict[str, list[list[str]]] = {}


def _fields(a: Article) -> list[list[str]]:
    """The tokens of title and text (cached: normalising 383 articles per test is slow)."""
    if a.id not in _TOKENS:
        _TOKENS[a.id] = [index_tokens(a.title), index_tokens(a.text)]
    return _TOKENS[a.id]


def has_phrase(a: Article, words: list[str]) -> bool:
    n = len(words)
    return any(toks[i:i + n] == words for toks in _fields(a) for i in range(len(toks) - n + 1))


def has_prefix(a: Article, prefix: str) -> bool:
    return any(t.startswith(prefix) for toks in _fields(a) for t in toks)


@pytest.mark.parametrize("word", ["thanh", "nguoi", "dong", "cong", "quan", "ha", "xe", "moi"])
def test_word_counts_match_the_text(real_index: ArticleIndex, corpus: list[Article], word: str) -> None:
    expected = {a.id for a in corpus if has_phrase(a, [word])}
    assert expected
    got = {a.id for a in real_index.search(Query(text=word, limit=1000)).items}
    assert got == expected


@pytest.mark.parametrize("phrase", ["thành phố", "Hà Nội", "TP HCM", "giao thông", "người dân", "hoà bình"])
def test_phrase_counts_match_the_text(real_index: ArticleIndex, corpus: list[Article], phrase: str) -> None:
    words = index_tokens(phrase)
    expected = {a.id for a in corpus if has_phrase(a, words)}
    assert real_index.count(Query(text=f'"{phrase}"')) == len(expected)
    got = {a.id for a in real_index.search(Query(text=f'"{phrase}"', limit=1000)).items}
    assert got == expected


@pytest.mark.parametrize("prefix", ["giao", "thuon", "kinh"])
def test_prefix_counts_match_the_text(real_index: ArticleIndex, corpus: list[Article], prefix: str) -> None:
    expected = {a.id for a in corpus if has_prefix(a, prefix)}
    assert expected
    assert real_index.count(Query(text=prefix + "*")) == len(expected)


def test_days_and_sources_match(real_index: ArticleIndex, corpus: list[Article]) -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    days = Counter(a.published_at.astimezone(tz).strftime("%Y-%m-%d") for a in corpus)
    got = {b.key[0]: b.count for b in real_index.aggregate(Query(), by=["day"])}
    assert got == dict(days)
    sources = Counter(a.source_id for a in corpus)
    assert {b.key[0]: b.count for b in real_index.aggregate(Query(), by=["source"])} == dict(sources)


def test_newest_first_over_the_corpus(real_index: ArticleIndex, corpus: list[Article]) -> None:
    got = [a.published_at for a in real_index.search(Query(limit=1000)).items]
    assert len(got) == len(corpus)
    assert got == sorted(got, reverse=True)


def test_fixture_is_present() -> None:
    assert (Path(__file__).resolve().parents[1] / "fixtures" / "articles" / "demo.jsonl").is_file()
