"""Shared, session-scoped enrichment components (each loads its model once, as in production)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "enrichment"


@pytest.fixture(scope="session")
def repo_settings():
    from duluan.settings import Settings

    return Settings(config_dir=ROOT / "config")


@pytest.fixture(scope="session")
def city(repo_settings):
    from duluan.settings import load_city

    return load_city(repo_settings)


@pytest.fixture(scope="session")
def identifier(repo_settings):
    from enrichment.language import LanguageIdentifier

    return LanguageIdentifier(repo_settings.enrichment.languages)


@pytest.fixture(scope="session")
def matcher(city):
    from enrichment.relevance import CityMatcher

    return CityMatcher(city)


@pytest.fixture(scope="session")
def tagger():
    from enrichment.topics import TopicTagger

    return TopicTagger.from_config(ROOT / "config")


def make_article(title: str = "", text: str = "", **kw):
    from duluan.models import Article, article_id

    url = kw.pop("url", f"https://example.vn/{abs(hash((title, text))) % 10**12}")
    return Article(id=article_id(url), url=url, canonical_url=url, source_id=kw.pop("source_id", "test"),
                   title=title, text=text, published_at=kw.pop("published_at", "2026-11-01T08:00:00+07:00"), **kw)
