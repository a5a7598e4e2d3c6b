"""Legacy Vietnamese encodings (TCVN3/.VnTime, VISCII, VNI-Windows): a real article from the
fixtures is encoded through each table into the bytes such a page holds in the wild, served from a
loopback HTTP server with and without a charset header, fetched with the crawler's fetcher and
extracted; the text must come out as the NFC original. A real French/German page in cp1252 must
come out unchanged."""

from __future__ import annotations

import gzip
import html
import json
import threading
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawlers.encoding import decode_html, decode_legacy, encode_legacy, sniff_legacy, vietnamese_share
from crawlers.extract import extract_article
from crawlers.http import Fetcher
from crawlers.spiders.article import header_charset
from duluan.models import RawArticle, Source
from duluan.settings import CrawlSettings
from duluan.text import normalize_text

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SRC = Source(id="legacy", name="Báo cũ", homepage="http://127.0.0.1/", country="VN", language="vi", kind="domestic")
FONTS = {"tcvn3": '".VnTime", ".VnArial"', "vni": '"VNI-Times"', "viscii": '"VISCII Times"'}


def _vietnamese_articles(n: int) -> list[dict]:
    out = []
    for line in (FIX / "articles" / "demo.jsonl").read_text(encoding="utf-8").splitlines():
        a = json.loads(line)
        if vietnamese_share(a["text"])[1] >= 100 and "Hồ Chí Minh" in a["text"]:
            out.append(a)
        if len(out) == n:
            break
    return out


ARTICLES = _vietnamese_articles(3)


def legacy_page(article: dict, name: str, font: bool = True) -> bytes:
    """The page an old CMS would serve: markup in ASCII, Vietnamese text in the legacy encoding."""
    title = html.escape(article["title"])
    paras = "".join(f"<p>{html.escape(p)}</p>\n" for p in article["text"].split("\n") if p.strip())
    style = f"<style>body, h1, p {{ font-family: {FONTS[name]}; }}</style>" if font else ""
    page = (f"<html><head><title>{title}</title>{style}"
            '<meta property="og:type" content="article">'
            '<meta property="article:published_time" content="2026-11-02T08:00:00+07:00"></head>'
            f"<body><div class='nav'><a href='/'>Trang chủ</a></div><article><h1>{title}</h1>\n{paras}</article>"
            "</body></html>")
    return encode_legacy(page, name)


class _Server:
    """A loopback server answering each path with fixed bytes and a fixed Content-Type."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body, ctype = routes.get(self.path, (b"missing", "text/plain"))
                self.send_response(200 if self.path in routes else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _fetch_and_extract(server: _Server, path: str) -> tuple[RawArticle, object]:
    with Fetcher(CrawlSettings(), allow_private=["127.0.0.1"]) as f:
        res = f.get(server.base + path)
    raw = RawArticle(url=res.url, final_url=res.final_url, source_id="legacy", html=res.body,
                     encoding=header_charset(res.headers.get("content-type", "")))
    return raw, extract_article(raw, SRC)


@pytest.mark.parametrize("name", ["tcvn3", "viscii", "vni"])
def test_tables_round_trip_real_text(name: str) -> None:
    for a in ARTICLES:
        original = unicodedata.normalize("NFC", a["title"] + "\n" + a["text"])
        body = encode_legacy(original, name)
        assert body.isascii() is False and body != original.encode("utf-8")
        assert html.unescape(decode_legacy(body, name)) == html.unescape(original)


@pytest.mark.parametrize("name", ["tcvn3", "viscii", "vni"])
@pytest.mark.parametrize("ctype", ["text/html; charset=windows-1252", "text/html", "text/html; charset=iso-8859-1"])
def test_legacy_page_over_http_extracts_to_nfc_original(server: _Server, name: str, ctype: str) -> None:
    a = ARTICLES[0]
    path = f"/{name}/{ctype.split('=')[-1]}.html"
    server.routes[path] = (legacy_page(a, name), ctype)
    raw, art = _fetch_and_extract(server, path)
    assert raw.html is not None and not raw.html.isascii()
    with pytest.raises(UnicodeDecodeError):
        raw.html.decode("utf-8")  # really legacy bytes on the wire
    assert art.extra["encoding"] == name
    assert art.title == normalize_text(a["title"])
    for para in a["text"].split("\n"):  # every paragraph of the original, exactly
        assert normalize_text(para).strip() in art.text
    unicode_page = html.unescape(decode_legacy(legacy_page(a, name), name)).encode("utf-8")
    assert art.text == extract_article(RawArticle(url=raw.url, source_id="legacy", html=unicode_page), SRC).text
    assert art.text == unicodedata.normalize("NFC", art.text)
    assert art.published_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["tcvn3", "viscii", "vni"])
def test_detected_by_statistics_alone_without_font_names(name: str) -> None:
    body = legacy_page(ARTICLES[1], name, font=False)
    assert sniff_legacy(body) == name
    text, enc = decode_html(body, None)
    assert enc == name and normalize_text(ARTICLES[1]["title"]) in normalize_text(html.unescape(text))


def test_declared_legacy_charset_labels_are_honoured() -> None:
    a = ARTICLES[2]
    assert decode_html(encode_legacy(a["text"], "viscii"), "VISCII")[1] == "viscii"
    assert decode_html(encode_legacy(a["text"], "tcvn3"), "x-viet-tcvn")[1] == "tcvn3"
    text, enc = decode_html(encode_legacy(a["title"], "vni"), "x-viet-vni")
    assert enc == "vni" and html.unescape(text) == unicodedata.normalize("NFC", a["title"])


def _western_pages() -> list[tuple[str, str]]:
    index = json.loads((FIX / "pages" / "fundus" / "index.json").read_text(encoding="utf-8"))
    out = []
    for e in index:
        if e["html"].startswith(("fr/", "de/", "at/", "ch/")):
            out.append((e["html"], e["url"]))
    return out


@pytest.mark.parametrize("ctype", ["text/html; charset=windows-1252", "text/html"])
def test_western_cp1252_pages_are_not_converted(server: _Server, ctype: str) -> None:
    pages = _western_pages()
    assert len(pages) >= 5
    for rel, url in pages:
        page = gzip.decompress((FIX / "pages" / "fundus" / rel).read_bytes()).decode("utf-8")
        page = page.replace('charset="utf-8"', "").replace("charset=utf-8", "").replace('charset="UTF-8"', "")
        body = page.encode("cp1252", "xmlcharrefreplace")
        assert not body.isascii()
        path = f"/western/{ctype[-4:]}/{rel}"
        server.routes[path] = (body, ctype)
        raw, art = _fetch_and_extract(server, path)
        assert art.extra["encoding"] in ("cp1252", "iso8859-1", "windows-1252"), (rel, art.extra["encoding"])
        expected = extract_article(RawArticle(url=url, source_id="legacy", html=page.encode("utf-8")), SRC)
        assert art.title == expected.title, rel
        assert art.text == expected.text, rel


@pytest.mark.slow
def test_crawl_url_of_a_tcvn3_page_indexes_unicode(server: _Server, press_ctx) -> None:
    """The whole path: `duluan crawl --url` (Scrapy child process) → extraction → index."""
    from crawlers.runner import crawl

    a = ARTICLES[2]
    server.routes["/crawl/vntime.html"] = (legacy_page(a, "tcvn3"), "text/html")
    report = crawl(press_ctx, url=server.base + "/crawl/vntime.html", allow_private=True, discovery=False)
    assert report.lost == 0 and report.indexed_ids, report.summary()
    art = press_ctx.index.get(report.indexed_ids[0])
    assert art is not None and art.title == normalize_text(a["title"])
    assert art.extra["encoding"] == "tcvn3"
    assert normalize_text(a["text"].split("\n")[0]).strip() in art.text


LANGID = FIX / "enrichment" / "langid"


def _sentences(lang: str, n: int = 60) -> list[str]:
    return (LANGID / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:n]


def _plain_page(title: str, sentences: list[str]) -> str:
    paras = "".join(f"<p>{html.escape(' '.join(sentences[i:i + 4]))}</p>\n" for i in range(0, len(sentences), 4))
    return (f"<html><head><title>{html.escape(title)}</title>"
            '<meta property="article:published_time" content="2026-11-02T08:00:00+01:00"></head>'
            f"<body><article><h1>{html.escape(title)}</h1>\n{paras}</article></body></html>")


@pytest.mark.parametrize("lang", ["de", "fr", "it", "pt", "nl"])
def test_western_sentences_in_cp1252_stay_unchanged(lang: str) -> None:
    page = _plain_page(_sentences(lang)[0][:60], _sentences(lang))
    body = page.encode("cp1252", "xmlcharrefreplace")
    assert not body.isascii()
    assert sniff_legacy(body) is None
    for declared in ("windows-1252", "iso-8859-1", None):
        text, enc = decode_html(body, declared)
        assert enc in ("cp1252", "iso8859-1") and text == body.decode("cp1252"), (lang, declared, enc)


def test_german_cp1252_page_over_http_unchanged(server: _Server) -> None:
    sentences = _sentences("de", 80)
    page = _plain_page("Die Straße für übermorgen: Öffnungszeiten geändert", sentences)
    server.routes["/de/artikel.html"] = (page.encode("cp1252", "xmlcharrefreplace"), "text/html")
    raw, art = _fetch_and_extract(server, "/de/artikel.html")
    assert art.extra["encoding"] in ("cp1252", "iso8859-1")
    assert art.title == "Die Straße für übermorgen: Öffnungszeiten geändert"
    assert normalize_text(" ".join(sentences[:4])) in art.text


@pytest.mark.parametrize("name", ["tcvn3", "viscii", "vni"])
def test_short_vietnamese_sentences_detected(name: str) -> None:
    sentences = _sentences("vi", 12)  # web/news sentences of the Leipzig corpora, not our articles
    page = _plain_page(sentences[0][:50], sentences)
    text, enc = decode_html(encode_legacy(page, name), None)
    assert enc == name and html.unescape(text) == html.unescape(unicodedata.normalize("NFC", page))
