"""Risk score: each factor moves the score and names itself in the reasons; corrections win;
the score stays in 0..100 for any input."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from duluan.models import Article, Kind, Review, Sentiment, TopicScore
from duluan.settings import Settings
from enrichment.risk import SENSITIVE, score_risk


def _art(**kw) -> Article:
    base = dict(id="b" * 32, url="https://x.example/a", canonical_url="https://x.example/a", source_id="s",
                title="t", published_at=datetime(2026, 10, 1, tzinfo=UTC), relevance=0.9, source_country="VN")
    base.update(kw)
    return Article(**base)


def _codes(a: Article) -> set[str]:
    return {r.split(":", 1)[0] for r in a.risk_reasons}


S = Settings()


def test_foreign_sensitive_negative_story_is_high_risk() -> None:
    a = _art(source_kind=Kind.foreign, source_country="US", topics=[TopicScore(code="hostile_distortion", score=0.9)],
             sentiment=Sentiment(label=-1, score=-0.8, method="t"))
    out = score_risk(a, S, None, story_size=6, story_countries=3)
    assert out.risk >= 80
    assert {"sensitive_topic", "foreign_outlet", "negative_tone", "relevance", "story_spread", "story_countries"} <= _codes(out)
    assert any("xuyên tạc" in r for r in out.risk_reasons)
    assert any("báo nước ngoài (US)" in r for r in out.risk_reasons)
    assert out.enrichment["risk"] == "additive@1"


def test_domestic_neutral_image_story_is_low_risk() -> None:
    a = _art(topics=[TopicScore(code="tourism", score=0.9)], sentiment=Sentiment(label=1, score=0.6))
    out = score_risk(a, S, None)
    assert out.risk <= 10
    assert "positive_tone" in _codes(out) and "sensitive_topic" not in _codes(out)


def test_each_factor_raises_the_score() -> None:
    base = _art(sentiment=Sentiment(label=0, score=0.0))
    r0 = score_risk(base, S).risk
    assert score_risk(base.model_copy(update={"source_kind": Kind.foreign, "source_country": "FR"}), S).risk > r0
    assert score_risk(base.model_copy(update={"topics": [TopicScore(code="sea_islands", score=1.0)]}), S).risk > r0
    assert score_risk(base.model_copy(update={"sentiment": Sentiment(label=-1, score=-0.5)}), S).risk > r0
    assert score_risk(base, S, story_size=8).risk > r0
    assert score_risk(base, S, story_countries=3).risk > r0
    fast = base.model_copy(update={"extra": {"story_size": 10, "story_velocity": 4.0}})
    assert score_risk(fast, S).risk > score_risk(base, S, story_size=10).risk
    heavy = base.model_copy(update={"extra": {"source_weight": 2.0}})
    light = base.model_copy(update={"extra": {"source_weight": 0.2}})
    assert score_risk(heavy, S).risk > r0 > score_risk(light, S).risk
    assert "outlet_weight" in _codes(score_risk(heavy, S))


def test_not_about_the_city_is_damped() -> None:
    a = _art(source_kind=Kind.foreign, source_country="US", topics=[TopicScore(code="human_rights", score=1.0)],
             sentiment=Sentiment(label=-1, score=-1.0))
    about = score_risk(a, S)
    other = score_risk(a.model_copy(update={"relevance": 0.1}), S)
    assert other.risk < about.risk * 0.5
    assert "low_relevance" in _codes(other)


def test_analyst_corrections_win() -> None:
    a = _art(topics=[TopicScore(code="religion", score=0.9)], sentiment=Sentiment(label=-1, score=-0.9), relevance=0.2,
             review=Review(reviewed=True, topics=["tourism"], sentiment=1, relevant=True))
    out = score_risk(a, S)
    codes = _codes(out)
    assert "sensitive_topic" not in codes and "negative_tone" not in codes and "low_relevance" not in codes
    assert out.review == a.review


@given(relevance=st.floats(min_value=0, max_value=1), label=st.sampled_from([-1, 0, 1]),
       score=st.floats(min_value=-1, max_value=1), foreign=st.booleans(),
       topics=st.lists(st.sampled_from([*SENSITIVE, "tourism", "economy"]), max_size=6, unique=True),
       size=st.integers(min_value=1, max_value=10_000), countries=st.integers(min_value=1, max_value=200),
       weight=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3), st.none()),
       velocity=st.floats(min_value=0, max_value=1e6))
def test_score_always_in_range(relevance, label, score, foreign, topics, size, countries, weight, velocity) -> None:
    a = _art(relevance=relevance, sentiment=Sentiment(label=label, score=score),
             source_kind=Kind.foreign if foreign else Kind.domestic,
             topics=[TopicScore(code=c, score=0.7) for c in topics],
             extra={"source_weight": weight, "story_velocity": velocity})
    out = score_risk(a, S, None, story_size=size, story_countries=countries)
    assert 0.0 <= out.risk <= 100.0
    assert all(":" in r for r in out.risk_reasons)
