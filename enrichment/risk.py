"""Risk score 0-100 of an article for the press office, with the reasons that make it up.

Additive points (each recorded as a reason "code: Vietnamese explanation (+points)"):
- sensitive_topic: one of the sensitive topics of DOMAIN.md, +30 x topic score (at least half),
  +5 per further sensitive topic (max +40);
- foreign_outlet: a foreign outlet (source_kind foreign or a country other than the city's), +20;
- negative_tone: sentiment -1 toward the city, +15 + 10 x |score|; positive tone, -5;
- relevance: about the city, +10 x relevance;
- story_spread: the story has >= 3 articles (+3 x log2 size, max 15) and/or several countries
  (+5 per further country, max 10);
- story_velocity: >= 2 articles per hour in the story (+2 x rate, max 10).
Then multipliers: the outlet weight (`Source.weight`, carried as `extra["source_weight"]`,
default 1) scales the total by 0.5 + 0.5 x weight (0.5-1.5), and an article that is not about
the city keeps 30% (it still counts for the picture but should not page anyone).
Analysts' corrections (review topics / sentiment / relevance) are used, never overwritten.
"""

from __future__ import annotations

import math

from duluan.models import Article, Kind
from duluan.settings import CityConfig, Settings
from duluan.topics import SENSITIVE

VERSION = "1"

SENSITIVE_VI = {
    "sea_islands": "biển đảo", "border_territory": "biên giới, lãnh thổ", "human_rights": "nhân quyền",
    "religion": "tôn giáo", "democracy": "dân chủ", "ethnic_groups": "dân tộc",
    "security_defence": "an ninh quốc phòng", "hostile_distortion": "xuyên tạc, luận điệu sai trái",
}


def _fmt(points: float) -> str:
    return f"{points:+.0f}"


def score_risk(article: Article, settings: Settings | None = None, city: CityConfig | None = None,
               story_size: int = 1, story_countries: int = 1) -> Article:
    """A copy of `article` with `risk` (0-100) and `risk_reasons` set and the method recorded.

    `story_size` / `story_countries` come from the story clusterer; when left at 1 the values
    the clusterer put in `article.extra` (story_size, story_countries, story_velocity) are used."""
    threshold = settings.enrichment.relevance_threshold if settings is not None else 0.5
    home = _home_country(city)
    reasons: list[str] = []
    points = 0.0

    # sensitive topics (corrected labels win; automatic ones carry a score)
    scores = {t.code: t.score for t in article.topics}
    sensitive = [c for c in article.effective_topics() if c in SENSITIVE]
    if sensitive:
        sensitive.sort(key=lambda c: (-scores.get(c, 1.0), c))
        first = sensitive[0]
        p = 30.0 * max(0.5, min(1.0, scores.get(first, 1.0) if article.review.topics is None else 1.0))
        p += min(10.0, 5.0 * (len(sensitive) - 1))
        points += p
        names = ", ".join(SENSITIVE_VI[c] for c in sensitive)
        reasons.append(f"sensitive_topic: chủ đề nhạy cảm ({names}) [{','.join(sensitive)}] ({_fmt(p)})")

    # foreign outlet
    foreign = article.source_kind == Kind.foreign or (
        bool(article.source_country) and bool(home) and article.source_country.upper() != home
    )
    if foreign:
        points += 20.0
        where = f" ({article.source_country})" if article.source_country else ""
        reasons.append(f"foreign_outlet: báo nước ngoài{where} (+20)")

    # tone toward the city
    label = article.effective_sentiment()
    if label == -1:
        mag = abs(article.sentiment.score) if article.sentiment is not None and article.review.sentiment is None else 1.0
        p = 15.0 + 10.0 * min(1.0, mag)
        points += p
        reasons.append(f"negative_tone: sắc thái tiêu cực về thành phố ({_fmt(p)})")
    elif label == 1:
        points -= 5.0
        reasons.append("positive_tone: sắc thái tích cực (-5)")

    # relevance
    relevant = article.effective_relevant(threshold)
    if relevant:
        rel = 1.0 if article.review.relevant else min(1.0, max(0.0, article.relevance))
        p = 10.0 * rel
        points += p
        reasons.append(f"relevance: nói về thành phố, mức liên quan {rel:.2f} ({_fmt(p)})")

    # story spread and velocity
    extra = article.extra or {}
    size = story_size if story_size > 1 else int(extra.get("story_size", 1) or 1)
    countries = story_countries if story_countries > 1 else int(extra.get("story_countries", 1) or 1)
    if size >= 3:
        p = min(15.0, 3.0 * math.log2(size))
        points += p
        reasons.append(f"story_spread: câu chuyện đã có {size} bài ({_fmt(p)})")
    if countries >= 2:
        p = min(10.0, 5.0 * (countries - 1))
        points += p
        reasons.append(f"story_countries: đưa tin từ {countries} quốc gia ({_fmt(p)})")
    velocity = float(extra.get("story_velocity", 0.0) or 0.0)
    if velocity >= 2.0 and size >= 3:
        p = min(10.0, 2.0 * velocity)
        points += p
        reasons.append(f"story_velocity: lan nhanh, {velocity:.1f} bài/giờ ({_fmt(p)})")

    # multipliers
    try:
        weight = float(extra.get("source_weight", 1.0))
    except (TypeError, ValueError):
        weight = 1.0
    if not math.isfinite(weight) or weight < 0:
        weight = 1.0
    factor = min(1.5, max(0.5, 0.5 + 0.5 * weight))
    if factor != 1.0:
        points *= factor
        reasons.append(f"outlet_weight: trọng số nguồn {weight:g} (x{factor:.2f})")
    if not relevant:
        points *= 0.3
        reasons.append(f"low_relevance: ít liên quan đến thành phố ({article.relevance:.2f}) (x0.30)")

    risk = round(max(0.0, min(100.0, points)), 1)
    return article.model_copy(update={
        "risk": risk,
        "risk_reasons": reasons,
        "enrichment": {**article.enrichment, "risk": f"additive@{VERSION}"},
    })


def _home_country(city: CityConfig | None) -> str:
    """The city's country (ISO alpha-2); every configured city is Vietnamese today."""
    country = getattr(city, "country", None) if city is not None else None
    return str(country).upper() if country else "VN"
