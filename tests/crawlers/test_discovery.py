"""Discovery connectors against recorded-format answers served on loopback."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from crawlers.discovery import discover_all, query_terms
from crawlers.discovery.gdelt import gdelt_query
from crawlers.discovery.google_news import (
    batchexecute_body,
    decode_article_id,
    parse_batchexecute,
    resolve_link,
)
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


# ---------------------------------------------------------------- Google News article links

GNEWS = Path(__file__).resolve().parents[1] / "fixtures" / "crawl_gnews"


class _GoogleNewsStandIn:
    """Loopback stand-in for news.google.com answering with the recorded shapes: the search RSS,
    a 302 for one article id, the older page naming the outlet (`data-n-au`) for another, the
    JavaScript shell for the rest, and the outlets' article pages."""

    REDIRECT_ID = "CBMiW0FVX3lxTFByZWRpcmVjdF90b19vdXRsZXRfYXJ0aWNsZV9vbl9sb29wYmFja19zZXJ2ZXJfZm9yX3Rlc3RzXzAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA"
    PAGE_ID = "CBMiWUFVX3lxTFBwYWdlX25hbWVzX3RoZV9vdXRsZXRfaW5fZGF0YV9uX2F1X2F0dHJpYnV0ZV9mb3JfdGVzdHNfMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"
    BATCH_ID = "CBMiV0FVX3lxTE1iYXRjaGV4ZWN1dGVfbWFwc190aGlzX3Rva2VuX3dpdGhfc2lnbmF0dXJlX2FuZF90aW1lc3RhbXBfZm9yX3Rlc3RzXzAwMDAwMDAwMDAwMA"
    SIGNATURE, TIMESTAMP = "AZ5r3eRT1qzLx0tB3HVkPbQ9", 1763707200

    def __init__(self) -> None:
        self.requests: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                stand_in.requests.append(self.path)
                status, ctype, body, location = stand_in.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                form = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                stand_in.requests.append("POST " + self.path)
                status, body = stand_in.batchexecute(self.path, form)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.old_id = old_style_id(self.base + "/outlet/st-metro.html", self.base + "/outlet/st-metro.amp.html")
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, path: str) -> tuple[int, str, bytes, str | None]:
        if path.startswith("/rss/search"):
            rss = (GNEWS / "search.rss").read_text(encoding="utf-8")
            return 200, "application/xml; charset=utf-8", rss.replace("{base}", self.base).replace(
                "{old_id}", self.old_id).encode(), None
        if path.startswith("/rss/articles/" + self.REDIRECT_ID):
            return 302, "text/html", b"", self.base + "/outlet/nikkei-food.html"
        if path.startswith("/rss/articles/" + self.PAGE_ID):
            page = (GNEWS / "article_au.html").read_text(encoding="utf-8")
            return 200, "text/html; charset=utf-8", page.replace("{outlet}", self.base + "/outlet/bkk-airport.html").encode(), None
        if path.startswith("/rss/articles/" + self.BATCH_ID):
            page = (GNEWS / "article_sg.html").read_text(encoding="utf-8")
            return 200, "text/html; charset=utf-8", page.replace("{token}", self.BATCH_ID).encode(), None
        if path.startswith("/rss/articles/"):
            return 200, "text/html; charset=utf-8", (GNEWS / "article_js.html").read_bytes(), None
        return 200, "text/html", b"<html><body><p>outlet page</p></body></html>", None


    def batchexecute(self, path: str, form: str) -> tuple[int, bytes]:
        """Google's answer shape: the URL only for the right rpc, token, timestamp and signature."""
        if path != "/_/DotsSplashUi/data/batchexecute":
            return 404, b"[]"
        (envelope,) = json.loads(parse_qs(form)["f.req"][0])
        rpc, inner, *_ = envelope[0]
        req = json.loads(inner)
        if rpc != "Fbv4je" or req[0] != "garturlreq" or req[2:] != [self.BATCH_ID, self.TIMESTAMP, self.SIGNATURE]:
            return 400, b")]}'\n\n[[\"er\",null,null,null,null,400]]"
        row = ["wrb.fr", "Fbv4je", json.dumps(["garturlres", self.base + "/outlet/reuters-vnindex.html", 1]),
               None, None, None, "generic"]
        chunk = json.dumps([row, ["di", 38], ["af.httprm", 37, "-6781528183464546853", 4]])
        return 200, (")]}'\n\n" + f"{len(chunk)}\n{chunk}\n" + '25\n[["e",4,null,null,1338]]\n').encode()


def old_style_id(url: str, amp: str) -> str:
    """An article id of the older form: protobuf 08 13 22 <len> <url> d2 01 <len> <amp url>."""
    def field(tag: bytes, s: bytes) -> bytes:
        n, out = len(s), b""
        while n >= 0x80:
            out += bytes([(n & 0x7F) | 0x80])
            n >>= 7
        return tag + out + bytes([n]) + s
    raw = b"\x08\x13" + field(b"\x22", url.encode()) + field(b"\xd2\x01", amp.encode())
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def gnews_stand_in() -> Iterator[_GoogleNewsStandIn]:
    s = _GoogleNewsStandIn()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def test_real_ids_decode_offline() -> None:
    # public examples (README of SSujitX/google-news-url-decoder): an old id and a post-2024 one
    old = ("https://news.google.com/rss/articles/CBMiLmh0dHBzOi8vd3d3LmJiYy5jb20vbmV3cy9hcnRpY2xlcy9jampqbnhkdjE4OG_"
           "SATJodHRwczovL3d3dy5iYmMuY29tL25ld3MvYXJ0aWNsZXMvY2pqam54ZHYxODhvLmFtcA?oc=5")
    assert resolve_link(None, old) == ("https://www.bbc.com/news/articles/cjjjnxdv188o", "offline")
    new = ("https://news.google.com/rss/articles/CBMiVkFVX3lxTE4zaGU2bTY2ZGkzdTRkSkJ0cFpsTGlDUjkxU2FBRURaTWU0c3QzVWZ1"
           "MHZZNkZ5Vzk1ZVBnTDFHY2R6ZmdCUkpUTUJsS1pqQTlCRzlzbHV3?oc=5")
    assert decode_article_id(new.split("/")[-1].split("?")[0]) is None
    assert resolve_link(None, new) == (None, "unresolved")
    assert resolve_link(None, "https://www.reuters.com/world/asia/x") == ("https://www.reuters.com/world/asia/x", "direct")
    assert decode_article_id("not-base64-!!") is None and decode_article_id("CBMi") is None


def test_batchexecute_answer_shapes() -> None:
    body = batchexecute_body("AU_yqLtoken", "1763707200", "sig")
    (envelope,) = json.loads(parse_qs(body)["f.req"][0])
    assert envelope[0][0] == "Fbv4je" and json.loads(envelope[0][1])[2:] == ["AU_yqLtoken", 1763707200, "sig"]
    row = ["wrb.fr", "Fbv4je", json.dumps(["garturlres", "https://www.reuters.com/markets/x", 1]), None, None, None, "generic"]
    plain = ")]}'\n\n" + json.dumps([row, ["di", 10]])
    chunked = ")]}'\n\n" + "123\n" + json.dumps([row]) + "\n25\n" + json.dumps([["e", 4, None, None, 99]]) + "\n"
    assert parse_batchexecute(plain) == parse_batchexecute(chunked) == "https://www.reuters.com/markets/x"
    assert parse_batchexecute(")]}'\n\n[[\"er\",null,null,null,null,400]]") is None
    assert parse_batchexecute("<html>sorry</html>") is None


def test_google_news_links_resolved_over_loopback(ctx, gnews_stand_in, caplog) -> None:
    g = gnews_stand_in
    crawl_settings = ctx.settings.crawl.model_copy(update={
        "gdelt_url": "", "google_news_url": g.base + "/rss/search", "discovery_languages": ["en"],
        "allow_private": ["127.0.0.1"]})
    with caplog.at_level(logging.INFO, logger="crawlers.discovery"), Fetcher(crawl_settings) as f:
        found = discover_all(f, ctx.city, crawl_settings, list(ctx.sources))
    assert not found.errors
    by_title = {c.title: c for c in found.candidates}
    metro = by_title["Ho Chi Minh City metro line 2 breaks ground"]
    assert metro.url == g.base + "/outlet/st-metro.html" and metro.extra["link"] == "offline"
    assert not any(p.startswith("/rss/articles/" + g.old_id) for p in g.requests)  # decoded without a request
    food = by_title["Saigon's street food faces new rules"]
    assert food.url == g.base + "/outlet/nikkei-food.html" and food.extra["link"] == "redirect"
    airport = by_title["Ho Chi Minh City airport terminal opens"]
    assert airport.url == g.base + "/outlet/bkk-airport.html" and airport.extra["link"] == "page"
    chips = by_title["Vietnam's southern hub courts chip makers"]
    assert chips.extra["link"] == "unresolved" and chips.url.startswith(g.base + "/rss/articles/")
    assert found.sources[chips.source_id].homepage == "https://asia.nikkei.com/"  # the <source url> outlet
    assert found.sources[chips.source_id].name == "Nikkei Asia"
    stocks = by_title["Ho Chi Minh City stock exchange hits record"]
    assert stocks.url == g.base + "/outlet/reuters-vnindex.html" and stocks.extra["link"] == "batchexecute"
    assert stocks.source_id == "reuters"  # the catalogue outlet named in <source url>
    assert "POST /_/DotsSplashUi/data/batchexecute" in g.requests
    # the unresolved copy of the metro story (same outlet and headline) is dropped as a duplicate
    assert len(found.candidates) == 5 and [c.title for c in found.candidates].count(metro.title) == 1
    assert found.resolved == 4 and len(found.unresolved) == 2
    assert "2 item(s) left unresolved" in caplog.text


def test_lookup_budget_caps_requests_to_google(ctx, gnews_stand_in, monkeypatch) -> None:
    import crawlers.discovery.google_news as gn

    monkeypatch.setattr(gn, "MAX_LOOKUPS", 1)
    g = gnews_stand_in
    crawl_settings = ctx.settings.crawl.model_copy(update={
        "gdelt_url": "", "google_news_url": g.base + "/rss/search", "discovery_languages": ["en"],
        "allow_private": ["127.0.0.1"]})
    with Fetcher(crawl_settings) as f:
        found = discover_all(f, ctx.city, crawl_settings, [])
    assert sum(p.startswith("/rss/articles/") for p in g.requests) == 1
    assert found.resolved == 2 and len(found.unresolved) == 4  # offline one + the one looked up
