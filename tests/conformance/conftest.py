"""The backends under test and the articles every conformance test runs over.

SQLite always runs. Elasticsearch runs when DULUAN_ES_URL names a real cluster
(`DULUAN_ES_URL=https://localhost:9200 make test-es`, see deploy/README.md); each test module
gets its own throwaway alias there and drops it afterwards. Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from duluan.models import Article, Review, Sentiment, TopicScore, article_id
from index.base import ArticleIndex

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ES_SKIP = "DULUAN_ES_URL not set: Elasticsearch conformance skipped (run `DULUAN_ES_URL=… make test-es`)"
BACKENDS = ["sqlite", pytest.param("elasticsearch", marks=pytest.mark.es)]


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def make_article(key: str, title: str, text: str, published: str, *, source: str = "tuoitre",
                 country: str = "VN", kind: str = "domestic", language: str = "vi",
                 topics: tuple[str, ...] = (), sentiment: int | None = None, relevance: float = 0.8,
                 risk: float = 0.0, story: str | None = None, review: Review | None = None) -> Article:
    url = f"https://{source}.example/{key}.html"
    return Article(
        id=article_id(url), url=url, canonical_url=url, source_id=source, source_name=source.title(),
        source_country=country, source_kind=kind, title=title, text=text, published_at=_dt(published),
        fetched_at=_dt(published), language=language, relevance=relevance,
        topics=[TopicScore(code=t, score=0.9) for t in topics],
        sentiment=Sentiment(label=sentiment, score=0.8, method="test") if sentiment is not None else None,
        story_id=story, risk=risk, review=review or Review(),
    )


def dataset() -> dict[str, Article]:
    """Twelve articles with known words, labels and times (keys are short names)."""
    arts = {
        "flood_vi": make_article(
            "flood-vi", "Ngập lụt nghiêm trọng ở TP.HCM sau mưa lớn",
            "Triều cường và mưa lớn gây ngập lụt tại quận 7, người dân lội nước về nhà.",
            "2026-10-05T23:30:00", topics=("flooding", "environment"), sentiment=-1, relevance=0.9,
            risk=70, story="s-flood"),
        "hoabinh": make_article(
            "hoabinh", "Khánh thành cầu Hòa Bình",
            "Cây cầu mang tên hoà bình nối hai bờ kênh, giảm ùn tắc cho khu vực.", "2026-10-06T03:00:00",
            source="thanhnien", topics=("traffic",), sentiment=1, relevance=0.8, risk=10),
        "ascii": make_article(
            "ascii", "Hoa binh va chuyen nuoc ngap",
            "Bai viet khong dau ve hoa binh, duong sa va nuoc ngap.", "2026-10-07T10:00:00",
            source="baomoi", topics=("society",), sentiment=0, relevance=0.3, risk=5),
        "flood_en": make_article(
            "flood-en", "Floods hit Ho Chi Minh City",
            "Heavy rain and a king tide flooded streets of Ho Chi Minh City; locals call it ngập lụt.",
            "2026-10-06T08:00:00", source="reuters", country="US", kind="foreign", language="en",
            topics=("flooding",), sentiment=-1, relevance=0.95, risk=85, story="s-flood"),
        "flood_fr": make_article(
            "flood-fr", "Hô Chi Minh-Ville : inondations après la marée",
            "Les inondations ont touché plusieurs arrondissements de la ville.", "2026-10-06T12:00:00",
            source="lemonde", country="FR", kind="foreign", language="fr",
            topics=("flooding", "environment"), sentiment=0, relevance=0.85, risk=40, story="s-flood"),
        "flood_zh": make_article(
            "flood-zh", "胡志明市发生洪水", "胡志明市昨日暴雨,多条街道被淹。", "2026-10-08T02:00:00",
            source="xinhua", country="CN", kind="foreign", language="zh", topics=("flooding",),
            sentiment=-1, relevance=0.9, risk=60, story="s-flood"),
        "apart": make_article(
            "apart", "Nước ngập đường, dân lo lụt lội",
            "Ngập sâu nửa mét nhưng chưa phải lụt lớn như năm trước.", "2026-10-09T01:00:00",
            source="vnexpress", topics=("traffic", "flooding"), sentiment=-1, relevance=0.7, risk=30,
            story="s-traffic"),
        "reviewed": make_article(
            "reviewed", "Vốn FDI đổ vào thành phố tăng mạnh",
            "Nhiều nhà đầu tư nước ngoài mở rộng nhà máy ở khu công nghệ cao.", "2026-10-10T05:00:00",
            source="vnexpress", topics=("trade",), sentiment=-1, relevance=0.2, risk=20, story="s-traffic",
            review=Review(reviewed=True, reviewed_by="analyst", topics=["investment", "economy"],
                          sentiment=1, relevant=True, note="auto labels were wrong")),
        "old": make_article(
            "old", "Du lịch thành phố mùa thu", "Khách quốc tế đến thành phố tăng mùa thu.",
            "2026-09-01T00:00:00", topics=("tourism",), sentiment=1, relevance=0.6, risk=0),
        "before_midnight": make_article(
            "before-midnight", "Quận Bình Thạnh chỉnh trang đô thị",
            "Các quận trung tâm chỉnh trang quảng trường và vỉa hè.", "2026-10-12T16:59:00",
            source="thanhnien", topics=("smart_city",), sentiment=None, relevance=0.5, risk=15),
        "after_midnight": make_article(
            "after-midnight", "Kẹt xe kéo dài ở cửa ngõ", "Ùn tắc kéo dài hai giờ ở cửa ngõ phía đông.",
            "2026-10-12T17:00:00", topics=("traffic",), sentiment=None, relevance=0.4, risk=50),
        "untac": make_article(
            "untac", "Ùn tắc, ùn tắc và ùn tắc", "Giao thông ùn tắc nghiêm trọng: ùn tắc khắp nơi.",
            "2026-10-11T09:00:00", source="baomoi", topics=("traffic",), sentiment=-1, relevance=0.6, risk=45),
    }
    return arts


def demo_articles(limit: int | None = None) -> list[Article]:
    """Real articles (tests/fixtures/articles/demo.jsonl) as minimal index records."""
    out = []
    with (FIXTURES / "articles" / "demo.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            out.append(Article(
                id=article_id(d["url"]), url=d["url"], canonical_url=d["url"], source_id=d["source"],
                source_country=d.get("country", ""), source_kind=d.get("kind", "domestic"),
                title=d["title"], text=d["text"], published_at=d["published_at"],
                language=d.get("language", "und"),
            ))
            if limit and len(out) >= limit:
                break
    return out


def open_backend(kind: str, tmp: Path) -> tuple[ArticleIndex, Callable[[], None]]:
    """A fresh, empty index of one backend and the function that disposes of it."""
    if kind == "sqlite":
        from index.sqlite import SqliteIndex

        idx = SqliteIndex(tmp / f"index-{uuid.uuid4().hex[:8]}.sqlite")
        return idx, idx.close
    url = os.environ.get("DULUAN_ES_URL")
    if not url:
        pytest.skip(ES_SKIP)
    from index.elastic import ElasticIndex

    sep = "&" if "?" in url else "?"
    es = ElasticIndex.from_url(f"{url}{sep}index=duluan-test-{uuid.uuid4().hex[:10]}")

    def dispose() -> None:
        es.drop()
        es.close()

    return es, dispose


@pytest.fixture(params=BACKENDS)
def empty_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArticleIndex]:
    """A fresh index per test (for tests that write or delete)."""
    idx, dispose = open_backend(request.param, tmp_path)
    yield idx
    dispose()


@pytest.fixture
def index(empty_index: ArticleIndex) -> ArticleIndex:
    """A fresh index holding `dataset()`."""
    empty_index.upsert(dataset().values())
    return empty_index


@pytest.fixture(scope="module", params=BACKENDS)
def shared_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One index per module holding `dataset()`, for read-only tests."""
    idx, dispose = open_backend(request.param, tmp_path_factory.mktemp("conformance"))
    idx.upsert(dataset().values())
    yield idx
    dispose()


@pytest.fixture(scope="module")
def arts() -> dict[str, Article]:
    return dataset()
