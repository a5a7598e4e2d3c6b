"""The configured list of enrichers, run in order over each article.

Placeholder chain: normalisation only. The enrichment issue replaces this with the full chain
(language, relevance, topics, sentiment, stories, risk, summary)."""

from __future__ import annotations

from typing import Any

from duluan.models import Article
from duluan.settings import CityConfig, Settings
from duluan.text import normalize_text


class EnrichmentChain:
    def __init__(self, settings: Settings, city: CityConfig):
        self.settings = settings
        self.city = city

    def enrich(self, article: Article) -> Article:
        return article.model_copy(update={
            "title": normalize_text(article.title),
            "text": normalize_text(article.text),
            "enrichment": {**article.enrichment, "normalize": "nfc-tone@1"},
        })

    def enrich_batch(self, articles: list[Article], index: Any = None) -> list[Article]:
        return [self.enrich(a) for a in articles]


def build_chain(settings: Settings, city: CityConfig) -> EnrichmentChain:
    return EnrichmentChain(settings, city)
