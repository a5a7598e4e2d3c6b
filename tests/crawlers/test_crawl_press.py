"""`crawl()` against the local press over real HTTP: every real article page is indexed with the
right title, date, text and source; a second run costs 304s and fetches nothing again."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.runner import crawl
from duluan.models import article_id
from tests.press_server import SYNTHETIC_FOREIGN, fundus_path

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
JS_ONLY = {"kr/HankookIlbo_2026_01_29.html.gz"}


@pytest.mark.slow
def test_crawl_once_indexes_every_real_article(press, press_ctx) -> None:
    ctx = press_ctx
    report = crawl(ctx)
    assert report.lost == 0 and report.failed == 0, report.failures
    assert not report.poll_errors
    fundus = json.loads((PAGES / "fundus" / "index.json").read_text(encoding="utf-8"))
    from tests.crawlers.test_extract import _norm, f1

    exact_titles = 0
    for e in fundus:
        html = gzip.decompress((PAGES / "fundus" / e["html"]).read_bytes())
        # the id comes from the page's canonical URL, i.e. the outlet's real address
        from crawlers.extract import _canonical, parse_html
        from duluan.models import RawArticle

        doc, _, _ = parse_html(RawArticle(url=press.base_url + fundus_path(e), source_id="x", html=html))
        canon = _canonical(doc, RawArticle(url=press.base_url + fundus_path(e), source_id="x", html=html))
        a = ctx.index.get(article_id(canon))
        if e["html"] in JS_ONLY:
            assert a is None
            continue
        assert a is not None, e["html"]
        assert a.source_id == f"press-fundus-{e['country']}"
        exp = datetime.fromisoformat(e["publishing_date"])
        exp = exp if exp.tzinfo else exp.replace(tzinfo=UTC)
        assert abs((a.published_at - exp).total_seconds()) <= 86400
        exact_titles += _norm(a.title) == _norm(e["title"])
        assert f1(a.text, e["body_text"]) >= 0.5
    assert exact_titles >= 70
    ref = json.loads((PAGES / "dantri" / "reference_text_derived_from_markup.json").read_text(encoding="utf-8"))
    for r in ref:
        a = ctx.index.get(article_id(r["url"]))
        assert a is not None and a.source_id == "press-dantri" and a.source_country == "VN"
        if r["title"]:
            assert _norm(a.title) == _norm(r["title"])
    synthetic = ctx.index.get(article_id(press.base_url + SYNTHETIC_FOREIGN["path"]))
    assert synthetic is not None and synthetic.source_id == "press-foreign" and synthetic.source_kind == "foreign"
    assert synthetic.published_at == SYNTHETIC_FOREIGN["published"]

    # health was recorded for every polled source
    from duluan.crawl_state import CrawlState

    rows = {r["source_id"]: r for r in CrawlState(ctx.session).health_rows()}
    assert rows["press-dantri"]["last_success"] is not None and rows["press-dantri"]["articles_total"] >= 24

    # a second run: feeds answer 304, known URLs are not fetched again
    hits_before = press.hits[fundus_path(fundus[0])]
    again = crawl(ctx)
    assert again.not_modified >= 14
    assert again.fetched == 0 and again.indexed == 0
    assert press.hits[fundus_path(fundus[0])] == hits_before


@pytest.mark.slow
def test_new_feed_item_published_at_run_time_is_crawled(press, press_ctx) -> None:
    html = (PAGES.parent / "pages").exists()
    assert html
    from tests.press_server import article_html

    page = article_html("Ho Chi Minh City flood barrier completed ahead of rainy season",
                        ["Ho Chi Minh City has completed the Phu Xuan tidal flood barrier, officials said on Friday, "
                         "ending years of delays on the project meant to protect 6.5 million residents." * 2] * 3,
                        datetime(2026, 11, 21, 2, 0, tzinfo=UTC), lang="en", author="Test Desk")
    url = press.add_article("/extra/flood-barrier.html", page)
    press.add_feed_item("extra", "/extra/flood-barrier.html", "Ho Chi Minh City flood barrier completed",
                        published=datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    report = crawl(press_ctx, ["press-foreign"])
    assert report.indexed >= 1, report.summary()
    a = press_ctx.index.get(article_id(url))
    assert a is not None and a.title.startswith("Ho Chi Minh City flood barrier")


@pytest.mark.slow
def test_second_crawl_of_an_unchanged_sitemap_costs_304s(press, press_ctx) -> None:
    """Sitemap validators and an index's children are kept in the operational DB between crawls."""
    paths = ["/sitemaps/index.xml", "/sitemaps/dantri-news.xml", "/sitemaps/zh.xml.gz"]
    first = crawl(press_ctx, ["press-dantri"])
    assert first.indexed >= 24 and first.lost == 0, first.summary()
    hits = {p: press.hits[p] for p in paths}
    n304 = {p: press.not_modified[p] for p in paths}
    again = crawl(press_ctx, ["press-dantri"])
    assert again.not_modified == 1  # the sitemap index (listing pages have no validators)
    assert again.fetched == 0 and again.indexed == 0
    for p in paths:
        assert press.hits[p] == hits[p] + 1 and press.not_modified[p] == n304[p] + 1, p
