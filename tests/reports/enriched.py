"""Enriched test articles for the report tests: the real demo articles
(`tests/fixtures/articles/demo.jsonl`) with deterministic labels standing in for the enrichment
chain (built in parallel by another area): relevance from a city-name match, topics from the VNTC
section label, sentiment / risk / story from a hash of the URL, a few left unlabelled on purpose
(reports must say when data is missing)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from duluan.ingest import article_from_record
from duluan.models import Article, Review, Sentiment, TopicScore

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "articles" / "demo.jsonl"
CITY = re.compile(r"TP ?\.? ?HCM|Sài Gòn|Hồ Chí Minh|Ho Chi Minh|Saigon", re.I)
LABEL_TOPICS = {
    "Chinh tri Xa hoi": ["society"], "Doi song": ["society"], "Phap luat": ["society"],
    "Kinh doanh": ["economy", "investment"], "Van hoa": ["culture"], "The thao": ["culture"],
    "Vi tinh": ["digital_transformation"], "Suc khoe": ["public_health"], "Khoa hoc": ["science_technology"],
    "The gioi": ["asean_integration"],
}
SENSITIVE = ["sea_islands", "human_rights", "hostile_distortion", "religion"]


def _h(text: str, salt: str) -> int:
    return int(hashlib.sha256((salt + text).encode()).hexdigest()[:8], 16)


def enriched_articles() -> list[Article]:
    """The 383 demo articles with deterministic enrichment (see module docstring)."""
    out = []
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        a = article_from_record(rec, {})
        url = a.url
        foreign = str(a.source_kind) == "foreign"
        relevant = bool(CITY.search(a.title + " " + a.text)) or (foreign and _h(url, "rel") % 3 != 0)
        relevance = 0.9 if relevant else 0.1
        topics = list(LABEL_TOPICS.get(rec.get("corpus_label") or "", []))
        if foreign and not topics:
            topics = [["tourism", "investment", "trade", "flooding", "traffic"][_h(url, "t") % 5]]
        if _h(url, "sens") % 9 == 0:
            topics.append(SENSITIVE[_h(url, "which") % len(SENSITIVE)])
        h = _h(url, "sent") % 10
        sentiment = None if h == 9 else Sentiment(label=(-1 if h < 3 else 0 if h < 6 else 1), score=0.5,
                                                     method="fixture")
        story = f"story-{_h(url, 'story') % 12}" if _h(url, "in-story") % 4 == 0 else None
        extra = {}
        if foreign and _h(url, "gloss") % 2 == 0:
            extra["title_vi"] = f"Bản dịch tiêu đề: {a.title[:60]}"
        out.append(a.model_copy(update={
            "relevance": relevance, "topics": [TopicScore(code=t, score=0.8) for t in topics],
            "sentiment": sentiment, "story_id": story, "risk": float(_h(url, "risk") % 100), **extra,
        }))
    # one analyst correction: it must win over the automatic labels in every figure
    first = out[0]
    out[0] = first.model_copy(update={"review": Review(reviewed=True, reviewed_by="analyst", sentiment=-1,
                                                      topics=["flooding"], relevant=True)})
    return out
