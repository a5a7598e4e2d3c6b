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
   when the page carries a signature and timestamp (`data-n-a-sg`, `data-n-a-ts`) the token is
   exchanged for the URL with one POST to Google's `batchexecute` endpoint (rpc `Fbv4je`,
   `garturlreq` → `garturlres`), on the link's own host and through the same SSRF check;
3. otherwise the item stays unresolved: counted and logged, kept with the outlet from `<source>`
   and the headline (so title dedup against the outlet's own feed and GDELT still works).

The decoding follows the known open decoders (huksley's gist "decode Google News URLs", the
`googlenewsdecoder` package by SSujitX: the `08 13 22` prefix and varint length; the
`garturlreq` request and the `wrb.fr` answer rows).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import feedparser
import httpx

from crawlers.candidates import Candidate
from crawlers.discovery.base import Discovered, outlet_source, query_terms
from crawlers.feeds import _clean, _entry_date
from crawlers.http import Fetcher
from crawlers.safety import check_url
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


BATCH_PATH = "/_/DotsSplashUi/data/batchexecute"
_SG = re.compile(r"""data-n-a-sg\s*=\s*["']([^"']+)["']""")
_TS = re.compile(r"""data-n-a-ts\s*=\s*["']([^"']+)["']""")
# the client context Google's own page sends with `garturlreq` (as the open decoders send it)
_GARTURLREQ_CTX = [["X", "X", ["X", "X"], None, None, 1, 1, "US:en", None, 1, None, None, None, None, None, 0, 1],
                   "X", "X", 1, [1, 1, 1], 1, 1, None, 0, 0, None, 0]


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


def batchexecute_body(token: str, timestamp: str, signature: str) -> str:
    """The form body of one `Fbv4je` call asking for the URL behind `token`."""
    inner = ["garturlreq", _GARTURLREQ_CTX, token, int(timestamp) if timestamp.isdigit() else timestamp, signature]
    envelope = [[["Fbv4je", json.dumps(inner, separators=(",", ":")), None, "generic"]]]
    return "f.req=" + quote(json.dumps(envelope, separators=(",", ":")))


def parse_batchexecute(text: str) -> str | None:
    """The URL in a batchexecute answer (`)]}'` guard, then JSON rows, possibly length-prefixed
    chunks; the `wrb.fr` row of `Fbv4je` carries `["garturlres", url, …]` as a JSON string)."""
    body = text.lstrip()
    if body.startswith(")]}'"):
        body = body[4:]
    chunks: list[Any] = []
    try:
        chunks.append(json.loads(body))
    except ValueError:
        for line in body.splitlines():
            if line.lstrip().startswith("["):
                try:
                    chunks.append(json.loads(line))
                except ValueError:
                    continue
    for rows in chunks:
        for row in rows if isinstance(rows, list) else []:
            if not (isinstance(row, list) and len(row) >= 3 and "Fbv4je" in row[:2]):
                continue
            payload = row[2]
            try:
                payload = json.loads(payload) if isinstance(payload, str) else payload
            except ValueError:
                continue
            if isinstance(payload, list) and len(payload) > 1 and payload[0] == "garturlres":
                url = payload[1]
                if isinstance(url, str) and url.startswith(("http://", "https://")):
                    return url
    return None


def _batchexecute(fetcher: Fetcher, link: str, token: str, page: bytes) -> str | None:
    """Exchange an opaque token for the outlet URL (one POST); None when the page has no
    signature or the answer holds no URL."""
    text = page[:500_000].decode("utf-8", "replace")
    sg, ts = _SG.search(text), _TS.search(text)
    if not (sg and ts):
        return None
    parts = urlsplit(link)
    endpoint = f"{parts.scheme}://{parts.netloc}{BATCH_PATH}"
    check_url(endpoint, fetcher.allow_private)
    try:
        resp = fetcher.client.post(endpoint, content=batchexecute_body(token, html.unescape(ts.group(1)),
                                                                       html.unescape(sg.group(1))),
                                   headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})
    except httpx.HTTPError as exc:
        log.info("google news batchexecute for %s failed: %s", link, exc)
        return None
    if resp.status_code != 200 or len(resp.content) > 1_000_000:
        log.info("google news batchexecute for %s: HTTP %s", link, resp.status_code)
        return None
    return parse_batchexecute(resp.text)


def resolve_link(fetcher: Fetcher | None, link: str, google_hosts: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """(outlet URL or None, how): how is "direct" (not a Google link), "offline", "redirect",
    "page", "batchexecute" or "unresolved". `fetcher=None` means offline only."""
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
    try:
        url = _batchexecute(fetcher, link, token, res.body)
    except DuluanError as exc:  # the SSRF guard refused the endpoint
        log.info("google news batchexecute for %s refused: %s", link, exc)
        url = None
    if url and article_token(url, google_hosts) is None and _is_outlet(url, link):
        return url, "batchexecute"
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
        if how in ("redirect", "page", "batchexecute") or (how == "unresolved" and use_fetcher is not None):
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
