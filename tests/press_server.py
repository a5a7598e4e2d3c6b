"""A local "press": a loopback HTTP server serving the real saved pages, feeds and sitemaps in
`tests/fixtures/`, synthetic bulk pages for benchmarks, and fault routes. Tests and the demo use it
instead of the internet (Scrapy's mockserver habit).

Run it: `python -m tests.press_server --port 8765 [--write-sources config/sources/local-press.yaml]`
(`--write-sources` writes a catalogue file whose sources point at this server).

In code::

    with PressServer() as press:            # port 0 = any free port; press.base_url
        press.sources()                     # list of catalogue dicts (feeds/sitemaps/listings here)
        press.add_article("/extra/x.html", html)          # serve a new page at run time
        press.add_feed_item("extra", "/extra/x.html", "Title", published=datetime)  # publish it
        press.hits["/feeds/extra.xml"]      # how often a path was requested
        press.not_modified["/sitemaps/index.xml"]  # how often it was answered 304

Content:
- `/fundus/<cc>/<Publisher>_<date>.html` real article pages (Fundus fixtures, gunzipped), listed in
  `/feeds/fundus-<cc>.xml` (RSS 2.0 for uk/us/vn, Atom elsewhere; entry dates are the crawl dates);
- `/Views/<section>/<slug>.jsp` Dân Trí pages, `/Views/<section>.jsp` its listing pages,
  `/sitemaps/index.xml` (sitemap index) → `/sitemaps/dantri-news.xml` (Google-News sitemap) and
  `/sitemaps/zh.xml.gz` (gzipped urlset of `/zh/<file>.html`, BBC/RFI/8world Chinese pages);
- `/foreign/hcmc-metro-line.html`: a SYNTHETIC English foreign article about Ho Chi Minh City,
  listed in `/feeds/foreign.xml`; `/feeds/extra.xml` lists what `add_feed_item` added;
- `/feeds/vietnamese/<file>.rss` and `/feeds/illformed/<file>.xml` fixture feeds as they are;
- `/bulk/sitemap.xml?n=N` + `/bulk/a/<i>.html`: N synthetic Vietnamese articles (benchmarks);
- `/discovery/gdelt?...` and `/discovery/gnews?...`: recorded-format GDELT DOC 2.0 ArtList JSON and
  Google News RSS search answers, pointing at pages on this server;
- every feed and sitemap carries ETag / Last-Modified and answers conditional GETs with 304.

Fault routes: `/fault/slow?s=N`, `/fault/500`, `/fault/flaky/<key>` (500 twice, then a page),
`/fault/reset` (TCP reset), `/fault/loop` and `/fault/loop-a`↔`/fault/loop-b` (301 loops),
`/fault/huge` (50 MB body), `/fault/gzip-bomb`, `/fault/wrong-charset` (UTF-8 body, latin-1
header), `/fault/cp1258` (legacy Vietnamese windows-1258 page), `/fault/not-found-200`, `/fault/pdf`,
`/fault/redirect` (302 to a real page), `/fault/redirect-private` (302 to 10.0.0.1),
`/private/*` (disallowed in robots.txt), `/feeds/bozo.xml`, `/feeds/500.xml`.
`PressServer(robots="503"|"404"|"reset"|"slow")` serves a failing robots.txt instead.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import socket
import struct
import threading
import time
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

FIX = Path(__file__).resolve().parent / "fixtures"
PAGES = FIX / "pages"
RSS_COUNTRIES = {"uk", "us", "vn"}
COUNTRY_CODES = {"uk": "GB", "ind": "IN"}
BULK_START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def fundus_index() -> list[dict[str, Any]]:
    """The Fundus fixture list (one dict per page: country, publisher, html path, expected fields)."""
    return json.loads((PAGES / "fundus" / "index.json").read_text(encoding="utf-8"))


def dantri_index() -> list[dict[str, Any]]:
    """Dân Trí article fixtures with their markup-derived reference (title, url, body_text)."""
    return json.loads((PAGES / "dantri" / "reference_text_derived_from_markup.json").read_text(encoding="utf-8"))


def fundus_path(entry: dict[str, Any]) -> str:
    return "/fundus/" + entry["html"].removesuffix(".gz")


def dantri_path(entry: dict[str, Any]) -> str:
    section, slug = Path(entry["file"]).name.split("__", 1)
    return f"/Views/{section}/{slug}"


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese text in windows-1258 (base letters + combining tone marks)."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", parts[:2])
        rest = parts[2:] if len(base) == 1 else parts[1:]
        if len(base) != 1:
            base = parts[0]
        out += (base + rest).encode("cp1258", "replace")
    return bytes(out)


def article_html(title: str, paragraphs: list[str], published: datetime, canonical: str = "",
                 lang: str = "vi", charset: str | None = "utf-8", author: str = "") -> str:
    """A plain news article page with the usual metadata (used for synthetic and fault pages)."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": published.isoformat(), "author": [{"@type": "Person", "name": author}] if author else []},
                    ensure_ascii=False)
    canon = f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else ""
    return (f'<!DOCTYPE html><html lang="{lang}"><head>{meta}<title>{html.escape(title)}</title>'
            f'<meta property="og:type" content="article"><meta property="og:title" content="{html.escape(title)}">'
            f'{canon}<script type="application/ld+json">{ld}</script></head>'
            f'<body><nav><a href="/">Trang chủ</a> <a href="/the-gioi">Thế giới</a></nav>'
            f'<article><h1>{html.escape(title)}</h1><p class="byline">{html.escape(author)}</p>{body}</article>'
            f'<footer>© Local press</footer></body></html>')


SYNTHETIC_FOREIGN = {
    "path": "/foreign/hcmc-metro-line.html",
    "title": "Ho Chi Minh City opens second metro line tender as commuters welcome first line",
    "published": datetime(2026, 11, 20, 3, 15, tzinfo=UTC),
    "author": "Test Correspondent",
    "paragraphs": [
        "HO CHI MINH CITY, Nov 20 - Ho Chi Minh City on Thursday invited bids for the construction of its "
        "second metro line, a year after the first line between Ben Thanh Market and Suoi Tien began carrying passengers.",
        "City officials said the 11-kilometre line would link Ben Thanh with Tham Luong in District 12 and is expected "
        "to cost about 2 billion dollars, financed by the city budget and official development assistance.",
        "Commuters interviewed at Ben Thanh station said the first line had cut their travel time, although many "
        "still rely on motorbikes for the last kilometres of their journey.",
        "Transport experts welcomed the tender but warned that land clearance, which delayed the first line by "
        "more than a decade, remains the main risk for the project in Vietnam's largest city.",
    ],
}


def _dantri_body(path: Path) -> bytes:
    text = path.read_text(encoding="utf-8")
    return text.replace("${pageContext.request.contextPath}", "").encode("utf-8")


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()  # 304 answers per path
        self.extra_pages: dict[str, bytes] = {}
        self.extra_items: dict[str, list[dict[str, Any]]] = {"extra": []}
        self.flaky: Counter[str] = Counter()
        self._bomb: bytes | None = None
        self.last_modified = datetime(2026, 11, 1, tzinfo=UTC)

    def bomb(self) -> bytes:
        if self._bomb is None:
            self._bomb = gzip.compress(b"\0" * 60_000_000, compresslevel=9)
        return self._bomb


class _Handler(BaseHTTPRequestHandler):
    server_version = "LocalPress/1.0"
    protocol_version = "HTTP/1.1"
    press: PressServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        return

    # ---------------------------------------------------------------- helpers

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_doc(self, body: bytes, ctype: str) -> None:
        """A feed/sitemap with validators, answering conditional GETs with 304."""
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        lm = format_datetime(self.press.state.last_modified, usegmt=True)
        if self.headers.get("If-None-Match") == etag or (
                not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == lm):
            with self.press.state.lock:
                self.press.state.not_modified[urlsplit(self.path).path] += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(200, body, ctype, {"ETag": etag, "Last-Modified": lm})

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        with self.press.state.lock:
            self.press.state.hits[path] += 1
        try:
            self._route(path, query)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---------------------------------------------------------------- routes

    def _route(self, path: str, q: dict[str, list[str]]) -> None:
        p = self.press
        st = p.state
        if path == "/robots.txt":
            return self._robots()
        if path in st.extra_pages:
            return self._send(200, st.extra_pages[path])
        if path.startswith("/fundus/"):
            f = PAGES / (path.removeprefix("/") + ".gz")
            if f.is_file():
                return self._send(200, gzip.decompress(f.read_bytes()), "text/html")
        if path.startswith("/feeds/fundus-") and path.endswith(".xml"):
            cc = path.removeprefix("/feeds/fundus-").removesuffix(".xml")
            body, ctype = p.fundus_feed(cc)
            if body:
                return self._send_doc(body, ctype)
        if path.startswith("/Views/"):
            rel = path.removeprefix("/Views/").strip("/")
            if rel.count("/") == 1:
                f = PAGES / "dantri" / "articles" / rel.replace("/", "__")
            else:
                f = PAGES / "dantri" / "category_pages" / rel
            if f.is_file():
                return self._send(200, _dantri_body(f))
        if path.startswith("/zh/"):
            f = PAGES / "foreign-zh" / "html" / path.removeprefix("/zh/")
            if f.is_file():
                return self._send(200, f.read_bytes())
        if path == "/sitemaps/index.xml":
            return self._send_doc(p.sitemap_index(), "application/xml")
        if path == "/sitemaps/dantri-news.xml":
            return self._send_doc(p.dantri_sitemap(), "application/xml")
        if path == "/sitemaps/zh.xml.gz":
            return self._send_doc(gzip.compress(p.zh_sitemap(), mtime=0), "application/x-gzip")  # stable ETag
        if path == SYNTHETIC_FOREIGN["path"]:
            s = SYNTHETIC_FOREIGN
            return self._send(200, article_html(s["title"], s["paragraphs"], s["published"], lang="en",
                                                canonical=p.base_url + s["path"], author=s["author"]).encode())
        if path == "/feeds/foreign.xml":
            s = SYNTHETIC_FOREIGN
            items = [{"url": p.base_url + s["path"], "title": s["title"], "published": s["published"],
                      "summary": s["paragraphs"][0]}]
            return self._send_doc(p.rss("Local press — foreign desk (synthetic)", items, "en"), "application/rss+xml")
        if path.startswith("/feeds/") and path.endswith(".xml") and path.removeprefix("/feeds/").removesuffix(".xml") in st.extra_items:
            name = path.removeprefix("/feeds/").removesuffix(".xml")
            with st.lock:
                items = list(st.extra_items[name])
            return self._send_doc(p.rss(f"Local press — {name}", items, "en"), "application/rss+xml")
        if path.startswith("/feeds/vietnamese/") or path.startswith("/feeds/illformed/") or path.startswith("/feeds/misc/"):
            f = FIX / path.removeprefix("/")
            if f.is_file():
                return self._send_doc(f.read_bytes(), "application/xml")
        if path == "/feeds/bozo.xml":
            return self._send_doc((FIX / "feeds/illformed/rss_item_link_corrupted_ampersands.xml").read_bytes()
                                  .replace(b"http://example.com/", p.base_url.encode() + b"/fundus/"), "application/rss+xml")
        if path == "/feeds/500.xml":
            return self._send(500, b"feed backend down", "text/plain")
        if path == "/bulk/sitemap.xml":
            n = int(q.get("n", ["100"])[0])
            return self._send_doc(p.bulk_sitemap(n), "application/xml")
        if path.startswith("/bulk/a/") and path.endswith(".html"):
            return self._send(200, p.bulk_page(int(path.removeprefix("/bulk/a/").removesuffix(".html"))))
        if path == "/discovery/gdelt":
            return self._send(200, p.gdelt_answer(), "application/json; charset=utf-8")
        if path == "/discovery/gnews":
            return self._send_doc(p.gnews_answer(), "application/rss+xml")
        if path.startswith("/fault/") or path.startswith("/private/"):
            return self._fault(path, q)
        return self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>")

    def _robots(self) -> None:
        """robots.txt as the server's `robots` mode says: the normal file, an HTTP error, or a reset."""
        mode = self.press.robots
        if mode == "ok":
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if mode == "slow":  # answers after any sane download timeout
            time.sleep(6)
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if mode == "reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return None
        return self._send(int(mode), b"<h1>robots.txt unavailable</h1>")

    def _fault(self, path: str, q: dict[str, list[str]]) -> None:
        p = self.press
        st = p.state
        real = p.sample_article_bytes()
        if path.startswith("/private/"):
            return self._send(200, real)
        if path == "/fault/slow":
            time.sleep(float(q.get("s", ["5"])[0]))
            return self._send(200, real)
        if path == "/fault/500":
            return self._send(500, b"<h1>Internal Server Error</h1>")
        if path.startswith("/fault/flaky/"):
            with st.lock:
                st.flaky[path] += 1
                n = st.flaky[path]
            if n <= 2:
                return self._send(503, b"<h1>try again</h1>")
            return self._send(200, real)
        if path == "/fault/reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return None
        if path == "/fault/loop":
            return self._send(301, b"", headers={"Location": "/fault/loop"})
        if path == "/fault/loop-a":
            return self._send(301, b"", headers={"Location": "/fault/loop-b"})
        if path == "/fault/loop-b":
            return self._send(301, b"", headers={"Location": "/fault/loop-a"})
        if path == "/fault/redirect":
            return self._send(302, b"", headers={"Location": SYNTHETIC_FOREIGN["path"]})
        if path == "/fault/redirect-private":
            return self._send(302, b"", headers={"Location": "http://10.0.0.1/internal"})
        if path == "/fault/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            chunk = b"<p>" + b"x" * (1024 * 64 - 7) + b"</p>\n"
            try:
                for _ in range(50 * 16):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass
            self.close_connection = True
            return None
        if path == "/fault/gzip-bomb":
            return self._send(200, st.bomb(), "text/html", {"Content-Encoding": "gzip"})
        if path == "/fault/wrong-charset":
            return self._send(200, p.vietnamese_page("wrong-charset").encode("utf-8"), "text/html; charset=iso-8859-1")
        if path == "/fault/cp1258":
            return self._send(200, to_cp1258(p.vietnamese_page("cp1258", charset="windows-1258")), "text/html")
        if path == "/fault/pdf":
            return self._send(200, b"%PDF-1.4\n% a press release as PDF, not a web page\n%%EOF\n", "application/pdf")
        if path == "/fault/not-found-200":
            return self._send(200, b"<html><head><title>404 - Page not found</title></head><body><h1>404 Not Found</h1>"
                                   b"<p>The page you requested does not exist.</p><a href='/'>Home</a></body></html>")
        return self._send(404, b"no such fault")


class PressServer:
    """The local press: `start()`/`stop()` or use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, robots: str = "ok"):
        """`robots`: "ok" (disallows /private/), an HTTP status such as "503" or "404" served for
        /robots.txt, "reset" (the connection is reset) or "slow" (answers after 6 s) — to test the
        robots.txt failure policy."""
        self.robots = robots
        handler = type("Handler", (_Handler,), {"press": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.state = _State()
        self.thread: threading.Thread | None = None
        self._fundus = fundus_index()
        self._dantri = dantri_index()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hits(self) -> Counter[str]:
        return self.state.hits

    @property
    def not_modified(self) -> Counter[str]:
        """304 answers per path (feeds and sitemaps answer conditional GETs)."""
        return self.state.not_modified

    def start(self) -> PressServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="press-server", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> PressServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- run-time content

    def add_article(self, path: str, html_text: str | bytes) -> str:
        """Serve `html_text` at `path` from now on; returns the absolute URL."""
        body = html_text.encode("utf-8") if isinstance(html_text, str) else html_text
        with self.state.lock:
            self.state.extra_pages[path] = body
        return self.base_url + path

    def add_feed_item(self, feed: str, path_or_url: str, title: str, published: datetime | None = None,
                      summary: str = "") -> None:
        """Publish an item in `/feeds/<feed>.xml` (created on first use; newest first)."""
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        item = {"url": url, "title": title, "published": published or datetime.now(UTC), "summary": summary}
        with self.state.lock:
            self.state.extra_items.setdefault(feed, []).insert(0, item)
            self.state.last_modified = datetime.now(UTC).replace(microsecond=0)

    # ---------------------------------------------------------------- catalogue

    def countries(self) -> list[str]:
        return sorted({e["country"] for e in self._fundus})

    def sources(self) -> list[dict[str, Any]]:
        """Catalogue entries (dicts valid as `Source`) pointing at this server."""
        b = self.base_url
        out: list[dict[str, Any]] = []
        for cc in self.countries():
            out.append({"id": f"press-fundus-{cc}", "name": f"Local press: {cc.upper()} outlets (Fundus pages)",
                        "homepage": f"{b}/", "feeds": [f"{b}/feeds/fundus-{cc}.xml"],
                        "country": COUNTRY_CODES.get(cc, cc.upper()), "language": "vi" if cc == "vn" else "en",
                        "kind": "domestic" if cc == "vn" else "foreign", "interval_minutes": 15})
        out.append({"id": "press-dantri", "name": "Local press: Dân Trí (saved pages)", "homepage": f"{b}/Views/",
                    "sitemaps": [f"{b}/sitemaps/index.xml"], "country": "VN", "language": "vi", "kind": "domestic",
                    "listings": [{"url": f"{b}/Views/{s}.jsp", "link_pattern": r"/Views/[a-z-]+/[a-z0-9-]+-\d{17}\.jsp$"}
                                 for s in ("the-gioi", "kinh-doanh")],
                    "interval_minutes": 15})
        out.append({"id": "press-foreign", "name": "Local press: foreign desk (synthetic)", "homepage": f"{b}/foreign/",
                    "feeds": [f"{b}/feeds/foreign.xml", f"{b}/feeds/extra.xml"], "country": "GB", "language": "en",
                    "kind": "foreign", "interval_minutes": 5})
        return out

    def sources_yaml(self) -> str:
        import yaml

        return "# Written by tests/press_server.py: sources served by the local press.\n" + yaml.safe_dump(
            {"sources": self.sources()}, allow_unicode=True, sort_keys=False)

    # ---------------------------------------------------------------- documents

    def rss(self, title: str, items: list[dict[str, Any]], lang: str = "vi") -> bytes:
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{html.escape(title)}</title>'
                 f"<link>{self.base_url}/</link><language>{lang}</language><description>{html.escape(title)}</description>"]
        for it in items:
            pub = f"<pubDate>{format_datetime(it['published'], usegmt=True)}</pubDate>" if it.get("published") else ""
            parts.append(f"<item><title>{html.escape(it.get('title') or '')}</title><link>{html.escape(it['url'])}</link>"
                         f"<guid>{html.escape(it['url'])}</guid>{pub}"
                         f"<description>{html.escape(it.get('summary') or '')}</description></item>")
        parts.append("</channel></rss>")
        return "".join(parts).encode("utf-8")

    def atom(self, title: str, items: list[dict[str, Any]]) -> bytes:
        parts = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                 f"<title>{html.escape(title)}</title><id>{self.base_url}/</id><updated>2026-11-01T00:00:00Z</updated>"]
        for it in items:
            parts.append(f"<entry><title>{html.escape(it['title'])}</title><link rel=\"alternate\" href=\"{html.escape(it['url'])}\"/>"
                         f"<id>{html.escape(it['url'])}</id><updated>{it['published'].isoformat()}</updated></entry>")
        parts.append("</feed>")
        return "".join(parts).encode("utf-8")

    def fundus_feed(self, cc: str) -> tuple[bytes, str]:
        items = []
        for e in self._fundus:
            if e["country"] != cc:
                continue
            crawled = datetime.fromisoformat(e["crawl_date"]).replace(tzinfo=UTC)
            items.append({"url": self.base_url + fundus_path(e), "title": e["title"], "published": crawled})
        if not items:
            return b"", ""
        if cc in RSS_COUNTRIES:
            return self.rss(f"Local press {cc}", items, "en"), "application/rss+xml"
        return self.atom(f"Local press {cc}", items), "application/atom+xml"

    def sitemap_index(self) -> bytes:
        b = self.base_url
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{b}/sitemaps/dantri-news.xml</loc><lastmod>2022-12-24T21:00:00+07:00</lastmod></sitemap>"
                f"<sitemap><loc>{b}/sitemaps/zh.xml.gz</loc><lastmod>2025-11-30T12:00:00+00:00</lastmod></sitemap>"
                "</sitemapindex>").encode()

    def dantri_sitemap(self) -> bytes:
        seen: set[str] = set()
        urls = []
        for e in self._dantri:
            path = dantri_path(e)
            if path in seen:
                continue
            seen.add(path)
            urls.append(f"<url><loc>{self.base_url}{quote(path)}</loc><news:news><news:publication>"
                        f"<news:name>Dân trí</news:name><news:language>vi</news:language></news:publication>"
                        f"<news:title>{html.escape(e['title'])}</news:title></news:news></url>")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(urls) + "</urlset>").encode()

    def zh_sitemap(self) -> bytes:
        files = ["rfi_detail.html", "bbc_zhongwen_detail.html", "8world_detail.html"]
        urls = "".join(f"<url><loc>{self.base_url}/zh/{f}</loc></url>" for f in files)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + urls + "</urlset>").encode()

    def bulk_sitemap(self, n: int) -> bytes:
        urls = "".join(f"<url><loc>{self.base_url}/bulk/a/{i}.html</loc></url>" for i in range(n))
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + urls + "</urlset>").encode()

    def _paragraphs(self, i: int) -> list[str]:
        e = self._dantri[i % len(self._dantri)]
        body = e["body_text"] or e["sapo"]
        sentences = [s.strip() + "." for s in body.split(". ") if s.strip()]
        return [" ".join(sentences[k:k + 3]) for k in range(0, min(len(sentences), 15), 3)] or [e["sapo"]]

    def bulk_page(self, i: int) -> bytes:
        e = self._dantri[i % len(self._dantri)]
        title = f"{e['title']} (bản tin số {i})"
        return article_html(title, [e["sapo"], *self._paragraphs(i)], BULK_START + timedelta(minutes=i),
                            canonical=f"{self.base_url}/bulk/a/{i}.html", author="Phóng viên").encode("utf-8")

    def vietnamese_page(self, tag: str, charset: str = "utf-8") -> str:
        e = next(x for x in self._dantri if "tan-son-nhat" in x["url"])
        return article_html(f"{e['title']} ({tag})", [e["sapo"], *self._paragraphs(self._dantri.index(e))],
                            datetime(2022, 12, 24, 12, 25, tzinfo=UTC), canonical=f"{self.base_url}/fault/{tag}",
                            charset=charset, author="Dân trí")

    def sample_article_bytes(self) -> bytes:
        s = SYNTHETIC_FOREIGN
        return article_html(s["title"], s["paragraphs"], s["published"], lang="en", author=s["author"]).encode()

    def gdelt_answer(self) -> bytes:
        """A GDELT DOC 2.0 `mode=ArtList&format=json` answer (documented field names)."""
        s = SYNTHETIC_FOREIGN
        arts = [{"url": self.base_url + s["path"], "url_mobile": "", "title": s["title"],
                 "seendate": s["published"].strftime("%Y%m%dT%H%M%SZ"), "socialimage": "",
                 "domain": "127.0.0.1", "language": "English", "sourcecountry": "United Kingdom"}]
        for e in self._fundus[:3]:
            arts.append({"url": self.base_url + fundus_path(e), "url_mobile": "", "title": e["title"],
                         "seendate": "20240502T203500Z", "socialimage": "", "domain": "127.0.0.1",
                         "language": "English", "sourcecountry": "Australia"})
        return json.dumps({"articles": arts}, ensure_ascii=False).encode("utf-8")

    def gnews_answer(self) -> bytes:
        """A Google News RSS search answer (items titled "Headline - Outlet" with <source url>)."""
        s = SYNTHETIC_FOREIGN
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
                f'<channel><generator>NFE/5.0</generator><title>"Ho Chi Minh City" - Google News</title>'
                f"<link>https://news.google.com/search?q=Ho+Chi+Minh+City</link><language>en-US</language>"
                f"<item><title>{html.escape(s['title'])} - Local Press Daily</title><link>{self.base_url}{s['path']}</link>"
                f'<guid isPermaLink="false">CBMi-local-1</guid><pubDate>{format_datetime(s["published"], usegmt=True)}</pubDate>'
                f'<description>{html.escape(s["paragraphs"][0])}</description><source url="{self.base_url}">Local Press Daily</source></item>'
                "</channel></rss>").encode()


def main() -> None:
    ap = argparse.ArgumentParser(description="Serve the local press (saved real pages, feeds, faults) on loopback.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--write-sources", type=Path, help="write a catalogue file for this server and keep serving")
    args = ap.parse_args()
    press = PressServer(args.host, args.port)
    if args.write_sources:
        args.write_sources.parent.mkdir(parents=True, exist_ok=True)
        args.write_sources.write_text(press.sources_yaml(), encoding="utf-8")
    press.start()
    print(f"local press at {press.base_url} ({len(press._fundus)} Fundus + {len(press._dantri)} Dân Trí pages)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        press.stop()


if __name__ == "__main__":
    main()
