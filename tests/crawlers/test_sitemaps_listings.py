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
