"""Google News RSS search connector (`/rss/search?q=…&hl=…&gl=…&ceid=…`), one query per
configured language with the city's names in that language. Items are titled "Headline - Outlet",
carry `<source url="…">Outlet</source>` and link to `https://news.google.com/rss/articles/<id>`
rather than to the outlet, so each link is resolved (`resolve_link`):

1. offline: the id is URL-safe base64 of a small protobuf message (`08 13 22 <len> <url>` and an
   optional AMP URL in field 26, `d2 01 <len> <amp url>`); the older ids ("CBMi…" holding an
   `http…` string) decode to the outlet URL without any request;
2. ids whose string starts with "AU_yqL" (Google's format since mid-2024) hold only an opaque
   token: the link is fetched through the safe fetcher (SSRF rules, redirect cap) and the final
   URL is used when it left Google, or the outlet URL the page names (`data-n-au`, a meta refresh);
3. otherwise the item stays unresolved: counted and logged, kept with the outlet from `<source>`
   and the headline (so title dedup against the outlet's own feed and GDELT still works).

The decoding follows the known open decoders (huksley's gist "decode Google News URLs", the
`googlenewsdecoder` package by SSujitX) which strip the `08 13 22` prefix and read a varint length.
"""

from __future__ import annotations

import base64
import html
import logging
import re
from urllib.parse import urlencode, urljoin, urlsplit

import feedparser

from crawlers.candidates import Candidate
from crawlers.discovery.base import Discovered, outlet_source, query_terms
from crawlers.feeds import _clean, _entry_date
from crawlers.http import Fetcher
from duluan.errors import DuluanError
from duluan.models import Source
from duluan.settings import CityConfig, CrawlSettings

log = logging.getLogger("crawlers.discovery.google_news")

EDITIONS = {"en": ("en-US", "US", "US:en"), "fr": ("fr", "FR", "FR:fr"), "de": ("de", "DE", "DE:de"),
            "ja": ("ja", "JP", "JP:ja"), "ko": ("ko", "KR", "KR:ko"), "zh": ("zh-TW", "TW", "TW:zh-Hant"),
            "es": ("es-419", "US", "US:es-419"), "ru": ("ru", "RU", "RU:ru"), "th": ("th", "TH", "TH:th")}
GOOGLE_NEWS_HOST = "news.google.com"
MAX_LOOKUPS = 40  # links resolved over HTTP per connector run (politeness); the rest stay unresolved
_ARTICLE_PATH = re.compile(r"^/(?:rss/)?(?:articles|read)/([A-Za-z0-9_-]{8,})")
_PAGE_HINTS = (re.compile(r"""data-n-au\s*=\s*["']([^"']+)["']"""),
               re.compile(r"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]+url\s*=\s*([^"'>\s]+)""", re.I))


def google_news_url(base: str, city: CityConfig, language: str) -> str:
    terms = query_terms(city, language, limit=4)
    q = " OR ".join(f'"{t}"' for t in terms) + " when:1d"
    hl, gl, ceid = EDITIONS.get(language, EDITIONS["en"])
    return base + "?" + urlencode({"q": q, "hl": hl, "gl": gl, "ceid": ceid})


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while i < len(buf):
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
        if shift > 63:
            break
    raise ValueError("bad varint")


def _strings(buf: bytes) -> list[bytes]:
    """The length-delimited fields of a protobuf message, in order (unknown wire types end it)."""
    out: list[bytes] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        wire = key & 7
        if wire == 0:
            _, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                out.append(buf[i:])  # truncated ids exist in the wild: keep what is there
                break
            out.append(buf[i:i + n])
            i += n
        elif wire == 5:
            i += 4
        elif wire == 1:
            i += 8
        else:
            break
    return out


def article_token(link: str, extra_hosts: tuple[str, ...] = ()) -> str | None:
    """The id of a Google News article link (`/rss/articles/<id>`, `/articles/<id>`, `/read/<id>`
    on news.google.com or one of `extra_hosts`), else None."""
    parts = urlsplit(link)
    if (parts.hostname or "").lower() != GOOGLE_NEWS_HOST and parts.netloc.lower() not in extra_hosts:
        return None
    m = _ARTICLE_PATH.match(parts.path)
    return m.group(1) if m else None


def decode_article_id(token: str) -> str | None:
    """The outlet URL inside an old-style article id, None when the id holds no URL (the newer
    "AU_yqL…" tokens, which only Google can map)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = _strings(raw)
    except (ValueError, TypeError):
        return None
    for f in fields:
        if f.startswith((b"http://", b"https://")):
            url = f.decode("utf-8", "replace")
            return url if urlsplit(url).hostname else None
    return None


def _page_hint(body: bytes, base: str) -> str | None:
    text = body[:300_000].decode("utf-8", "replace")
    for pat in _PAGE_HINTS:
        m = pat.search(text)
        if m:
            url = urljoin(base, html.unescape(m.group(1)).strip())
            if url.startswith(("http://", "https://")):
                return url
    return None


def resolve_link(fetcher: Fetcher | None, link: str, google_hosts: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """(outlet URL or None, how): how is "direct" (not a Google link), "offline", "redirect",
    "page" or "unresolved". `fetcher=None` means offline only."""
    token = article_token(link, google_hosts)
    if token is None:
        return link, "direct"
    url = decode_article_id(token)
    if url:
        return url, "offline"
    if fetcher is None:
        return None, "unresolved"
    try:
        res = fetcher.get(link)
    except DuluanError as exc:
        log.info("google news link %s not resolved: %s", link, exc)
        return None, "unresolved"
    if article_token(res.final_url, google_hosts) is None and _is_outlet(res.final_url, link):
        return res.final_url, "redirect"
    hint = _page_hint(res.body, res.final_url)
    if hint and article_token(hint, google_hosts) is None and _is_outlet(hint, link):
        return hint, "page"
    return None, "unresolved"


def _is_outlet(url: str, link: str) -> bool:
    """A URL that left Google (another host, or on a stand-in host a page other than the link)."""
    host = (urlsplit(url).hostname or "").lower()
    return not (host == "google.com" or host.endswith(".google.com")) and url != link


def parse_google_news(body: bytes, language: str, catalogue: list[Source], out: Discovered,
                      fetcher: Fetcher | None = None, google_hosts: tuple[str, ...] = (),
                      budget: list[int] | None = None) -> None:
    """Add the RSS answer's items to `out`, each link resolved to the outlet when possible.
    `budget` (a one-item list) caps the HTTP look-ups shared by all languages of one run."""
    parsed = feedparser.parse(body)
    budget = budget if budget is not None else [MAX_LOOKUPS]
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
        use_fetcher = fetcher if budget[0] > 0 else None
        url, how = resolve_link(use_fetcher, link, google_hosts)
        if how in ("redirect", "page") or (how == "unresolved" and use_fetcher is not None):
            budget[0] -= 1
        extra = {"connector": "google-news", "link": how}
        if url is None:
            url = link
            extra["google_link"] = link
            out.unresolved.append((link, outlet_url or outlet or ""))
            log.info("google news item unresolved (kept with outlet %s): %s", outlet_url or outlet, title[:80])
        elif how != "direct":
            extra["google_link"] = link
            out.resolved += 1
        # the outlet Google names in <source url> identifies the source (resolved or not)
        src = outlet_source(outlet_url or url, outlet, None, language, catalogue)
        out.sources.setdefault(src.id, src)
        out.candidates.append(Candidate(url=url, source_id=src.id, via="discovery", title=title,
                                        summary=_clean(e.get("summary")), published=_entry_date(e, "UTC"),
                                        language=language, extra=extra))


def google_news_discover(fetcher: Fetcher, city: CityConfig, crawl: CrawlSettings, catalogue: list[Source],
                         out: Discovered) -> None:
    if not crawl.google_news_url:
        return
    # links on the configured service's own host are Google News links too (a mirror, or the test press)
    own = urlsplit(crawl.google_news_url).netloc.lower()
    hosts = (own,) if own and own != GOOGLE_NEWS_HOST else ()
    budget = [MAX_LOOKUPS]
    before = len(out.unresolved)
    for lang in crawl.discovery_languages:
        try:
            res = fetcher.get(google_news_url(crawl.google_news_url, city, lang))
            parse_google_news(res.body, lang, catalogue, out, fetcher, hosts, budget)
        except DuluanError as exc:
            out.errors.append((f"google-news:{lang}", str(exc)))
    if len(out.unresolved) > before:
        log.warning("google news: %d item(s) left unresolved (kept with their outlet and title)",
                    len(out.unresolved) - before)
