"""Models: stable ids from canonical URLs, aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from duluan.models import Article, Review, Sentiment, TopicScore, article_id, canonicalize_url


def test_url_variants_share_one_id() -> None:
    variants = [
        "https://tuoitre.vn/ngap-lut-tphcm-2026.htm",
        "http://www.tuoitre.vn/ngap-lut-tphcm-2026.htm/",
        "https://tuoitre.vn/ngap-lut-tphcm-2026.htm?utm_source=facebook&utm_medium=social",
        "https://m.tuoitre.vn/ngap-lut-tphcm-2026.htm?fbclid=abc#comments",
        "https://TUOITRE.VN/ngap-lut-tphcm-2026.htm/amp",
    ]
    assert len({canonicalize_url(v) for v in variants}) == 1
    assert len({article_id(v) for v in variants}) == 1


def test_meaningful_query_params_are_kept() -> None:
    assert article_id("https://x.vn/a?id=1") != article_id("https://x.vn/a?id=2")


def test_datetimes_become_aware_utc() -> None:
    a = Article(id="x", url="https://x.vn/a", canonical_url="https://x.vn/a", source_id="s",
                published_at=datetime(2026, 10, 1, 7, 0, tzinfo=timezone(timedelta(hours=7))))
    assert a.published_at == datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    assert a.published_at.tzinfo is UTC
    naive = Article(id="y", url="https://x.vn/b", canonical_url="https://x.vn/b", source_id="s",
                    published_at=datetime(2026, 10, 1, 7, 0))
    assert naive.published_at.tzinfo is UTC


def test_corrections_win() -> None:
    a = Article(id="x", url="https://x.vn/a", canonical_url="https://x.vn/a", source_id="s",
                published_at=datetime(2026, 10, 1, tzinfo=UTC), topics=[TopicScore(code="flooding", score=0.9)],
                sentiment=Sentiment(label=-1, score=-0.8), relevance=0.2)
    assert a.effective_topics() == ["flooding"] and a.effective_sentiment() == -1 and not a.effective_relevant()
    b = a.model_copy(update={"review": Review(reviewed=True, topics=["traffic"], sentiment=0, relevant=True)})
    assert b.effective_topics() == ["traffic"] and b.effective_sentiment() == 0 and b.effective_relevant()
