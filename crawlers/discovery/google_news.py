"""Google News RSS search connector (`/rss/search?q=…&hl=…&gl=…&ceid=…`), one query per
configured language with the city's names in that language. Items are titled "Headline - Outlet"
and carry `<source url="…">Outlet</source>`."""

from __future__ import annotations

from urllib.parse import urlencode

import feedparser

from crawlers.candidates import Candidate
from crawlers.discovery.base import Discovered, outlet_source, query_terms
from crawlers.feeds import _clean, _entry_date
from crawlers.http import Fetcher
from duluan.errors import DuluanError
from duluan.models import Source
from duluan.settings import CityConfig, CrawlSettings

EDITIONS = {"en": ("en-US", "US", "US:en"), "fr": ("fr", "FR", "FR:fr"), "de": ("de", "DE", "DE:de"),
            "ja": ("ja", "JP", "JP:ja"), "ko": ("ko", "KR", "KR:ko"), "zh": ("zh-TW", "TW", "TW:zh-Hant"),
            "es": ("es-419", "US", "US:es-419"), "ru": ("ru", "RU", "RU:ru"), "th": ("th", "TH", "TH:th")}


def google_news_url(base: str, city: CityConfig, language: str) -> str:
    terms = query_terms(city, language, limit=4)
    q = " OR ".join(f'"{t}"' for t in terms) + " when:1d"
    hl, gl, ceid = EDITIONS.get(language, EDITIONS["en"])
    return base + "?" + urlencode({"q": q, "hl": hl, "gl": gl, "ceid": ceid})


def parse_google_news(body: bytes, language: str, catalogue: list[Source], out: Discovered) -> None:
    parsed = feedparser.parse(body)
    for e in parsed.get("entries", []):
        link = (e.get("link") or "").strip()
        if not link.startswith(("http://", "https://")):
            continue
        src_info = e.get("source") or {}
        outlet = src_info.get("title") if isinstance(src_info, dict) else None
        outlet_url = src_info.get("href") if isinstance(src_info, dict) else None
        title = _clean(e.get("title")) or ""
        if outlet and title.endswith(" - " + outlet):
            title = title[: -len(outlet) - 3]
        src = outlet_source(outlet_url or link, outlet, None, language, catalogue)
        out.sources.setdefault(src.id, src)
        out.candidates.append(Candidate(url=link, source_id=src.id, via="discovery", title=title,
                                        summary=_clean(e.get("summary")), published=_entry_date(e, "UTC"),
                                        language=language, extra={"connector": "google-news"}))


def google_news_discover(fetcher: Fetcher, city: CityConfig, crawl: CrawlSettings, catalogue: list[Source],
                         out: Discovered) -> None:
    if not crawl.google_news_url:
        return
    for lang in crawl.discovery_languages:
        try:
            res = fetcher.get(google_news_url(crawl.google_news_url, city, lang))
            parse_google_news(res.body, lang, catalogue, out)
        except DuluanError as exc:
            out.errors.append((f"google-news:{lang}", str(exc)))
