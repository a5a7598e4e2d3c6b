"""Sitemaps (Google-News, index, gzip) and listing pages over the local press, plus pure parsing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from crawlers.http import Fetcher
from crawlers.listings import links_from_listing, poll_listing
from crawlers.sitemaps import crawl_sitemap, parse_sitemap
from duluan.errors import FetchError
from duluan.models import ListingPage
from duluan.settings import CrawlSettings

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"


def _fetcher() -> Fetcher:
    return Fetcher(CrawlSettings(allow_private=["127.0.0.1"], retries=0, download_timeout=5))


def test_sitemap_index_with_news_and_gzip_children(press) -> None:
    with _fetcher() as f:
        res = crawl_sitemap(f, press.base_url + "/sitemaps/index.xml", "press-dantri")
    assert res.fetched == 3 and not res.errors
    urls = [c.url for c in res.candidates]
    assert sum("/Views/" in u for u in urls) == 25
    assert sum("/zh/" in u for u in urls) == 3
    news = [c for c in res.candidates if "/Views/" in c.url]
    assert all(c.language == "vi" for c in news)
    assert sum(bool(c.title) for c in news) == 24  # one saved page has an empty reference title


def test_parse_sitemap_rejects_other_xml() -> None:
    with pytest.raises(FetchError):
        parse_sitemap(b"<html><body>hi</body></html>", "https://x.test/s.xml", "x")
    res = parse_sitemap(gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
                                      b"https://x.test/a</loc><lastmod>2026-11-01</lastmod></url></urlset>"), "u", "x")
    assert [c.url for c in res.candidates] == ["https://x.test/a"] and res.candidates[0].published is not None


def test_listing_links_from_real_dantri_category_page() -> None:
    body = (PAGES / "dantri" / "category_pages" / "the-gioi.jsp").read_bytes().replace(
        b"${pageContext.request.contextPath}", b"")
    cands = links_from_listing(body, "https://dantri.local/Views/the-gioi.jsp",
                               r"/Views/[a-z-]+/[a-z0-9-]+-\d{17}\.jsp$", "dantri")
    assert len(cands) == 4  # four distinct article links (one of them relative, without the context path)
    assert all(c.url.startswith("https://dantri.local/Views/the-gioi/") for c in cands)


def test_listing_over_http(press) -> None:
    with _fetcher() as f:
        cands = poll_listing(f, ListingPage(url=press.base_url + "/Views/kinh-doanh.jsp",
                                            link_pattern=r"/Views/[a-z-]+/[a-z0-9-]+-\d{17}\.jsp$"), "press-dantri")
    assert cands and all(press.base_url in c.url for c in cands)


def test_unchanged_sitemap_index_and_children_cost_one_304_each(press) -> None:
    from crawlers.sitemaps import DocState

    index = press.base_url + "/sitemaps/index.xml"
    paths = ["/sitemaps/index.xml", "/sitemaps/dantri-news.xml", "/sitemaps/zh.xml.gz"]
    with _fetcher() as f:
        first = crawl_sitemap(f, index, "press-dantri")
        assert first.not_modified == 0 and len(first.candidates) == 28
        assert set(first.states) == {press.base_url + p for p in paths}
        assert first.states[index].children and first.states[index].etag
        hits = {p: press.hits[p] for p in paths}
        n304 = {p: press.not_modified[p] for p in paths}
        remembered: dict[str, DocState] = dict(first.states)
        again = crawl_sitemap(f, index, "press-dantri", state=remembered.get)
        assert again.top_not_modified and again.not_modified == 3 and again.fetched == 3
        assert again.candidates == [] and not again.errors
        for p in paths:  # one request per document, answered 304
            assert press.hits[p] == hits[p] + 1 and press.not_modified[p] == n304[p] + 1
        # a child whose remembered validator no longer matches is fetched in full, the others 304
        child = press.base_url + "/sitemaps/dantri-news.xml"
        remembered[child] = DocState(etag='"stale"', last_modified=remembered[child].last_modified)
        third = crawl_sitemap(f, index, "press-dantri", state=remembered.get)
    assert third.not_modified == 2 and len(third.candidates) == 25
    assert all("/Views/" in c.url for c in third.candidates)
