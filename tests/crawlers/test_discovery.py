"""Discovery connectors against recorded-format answers served on loopback."""

from __future__ import annotations

import pytest

from crawlers.discovery import discover_all, query_terms
from crawlers.discovery.gdelt import gdelt_query
from crawlers.http import Fetcher
from crawlers.runner import run_discovery
from duluan.models import article_id
from tests.press_server import SYNTHETIC_FOREIGN


def test_queries_come_from_city_aliases(press_ctx) -> None:
    city = press_ctx.city
    q = gdelt_query(city)
    assert '"Ho Chi Minh City"' in q and "-sourcecountry:vietnam" in q
    assert "HCMC" not in query_terms(city, "en")  # too short to search safely
    assert "Hô-Chi-Minh-Ville" in query_terms(city, "fr")


def test_connectors_parse_answers(press, press_ctx) -> None:
    crawl_settings = press_ctx.settings.crawl.model_copy(update={
        "gdelt_url": press.base_url + "/discovery/gdelt", "google_news_url": press.base_url + "/discovery/gnews",
        "discovery_languages": ["en", "fr"]})
    with Fetcher(crawl_settings) as f:
        found = discover_all(f, press_ctx.city, crawl_settings, list(press_ctx.sources))
    assert not found.errors
    urls = [c.url for c in found.candidates]
    assert press.base_url + SYNTHETIC_FOREIGN["path"] in urls
    gnews = [c for c in found.candidates if c.extra.get("connector") == "google-news"]
    assert gnews and gnews[0].title == SYNTHETIC_FOREIGN["title"]
    gd = [c for c in found.candidates if c.extra.get("connector") == "gdelt"]
    assert len(gd) == 4 and gd[0].published is not None


@pytest.mark.slow
def test_run_discovery_job_fetches_found_articles(press, press_ctx, monkeypatch) -> None:
    ctx = press_ctx
    ctx.settings.crawl.discovery = True
    ctx.settings.crawl.gdelt_url = press.base_url + "/discovery/gdelt"
    ctx.settings.crawl.google_news_url = press.base_url + "/discovery/gnews"
    ctx.settings.crawl.discovery_languages = ["en"]
    msg = run_discovery(ctx)
    assert "indexed" in msg
    a = ctx.index.get(article_id(press.base_url + SYNTHETIC_FOREIGN["path"]))
    assert a is not None and a.source_kind == "foreign"
