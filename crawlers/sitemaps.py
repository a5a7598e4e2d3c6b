"""Sitemaps: Google-News sitemaps (`news:` namespace with title, date, language), plain URL sets,
gzipped sitemaps and sitemap indexes (followed to the most recent children only, so an index of
ten years of daily sitemaps costs a handful of requests).

Every document is fetched conditionally (ETag / Last-Modified, as feeds are) when the caller
passes what it remembered (`DocState`): an unchanged sitemap costs one 304 and yields nothing new;
an unchanged index is answered from its remembered child list, each child asked conditionally in
turn. The caller persists `SitemapResult.states` (the runner keeps them in the operational DB)."""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dateutil import parser as dateparser
from lxml import etree

from crawlers.candidates import Candidate
from crawlers.http import Fetcher
from duluan.errors import DuluanError, FetchError

log = logging.getLogger("crawlers.sitemaps")

MAX_UNCOMPRESSED = 50_000_000  # the sitemap protocol's own limit


@dataclass
class DocState:
    """What is remembered about one sitemap document between crawls: its validators and, for an
    index, its child sitemaps in the order they are followed (newest first)."""

    etag: str | None = None
    last_modified: str | None = None
    children: list[str] | None = None
    status: int = 200  # of the last answer (304 when it was unchanged)


@dataclass
class SitemapResult:
    url: str
    candidates: list[Candidate] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    fetched: int = 0
    not_modified: int = 0  # documents answered 304 (counted in `fetched` too)
    top_not_modified: bool = False
    states: dict[str, DocState] = field(default_factory=dict)  # url → state to remember


def _gunzip(body: bytes, url: str) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(body, MAX_UNCOMPRESSED)
    except zlib.error as exc:
        raise FetchError(f"{url}: bad gzip sitemap: {exc}") from None
    if d.unconsumed_tail:
        raise FetchError(f"{url}: gzipped sitemap expands beyond {MAX_UNCOMPRESSED} bytes")
    return out


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = dateparser.parse(text.strip())
    except (ValueError, OverflowError):
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, url: str, source_id: str) -> SitemapResult:
    """Parse one sitemap document (urlset or sitemapindex); gzip is detected by its magic bytes."""
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, url)
    res = SitemapResult(url=url)
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise FetchError(f"{url}: not a sitemap: {exc}") from None
    if root is None:
        raise FetchError(f"{url}: not a sitemap (empty document)")
    kind = _local(root.tag)
    if kind == "sitemapindex":
        dated: list[tuple[datetime | None, str]] = []
        for sm in root:
            if _local(sm.tag) != "sitemap":
                continue
            loc = lastmod = None
            for child in sm:
                name = _local(child.tag)
                if name == "loc":
                    loc = (child.text or "").strip()
                elif name == "lastmod":
                    lastmod = _date(child.text)
            if loc:
                dated.append((lastmod, loc))
        # newest first when dated; document order otherwise (sorted() is stable)
        dated.sort(key=lambda x: x[0] or datetime.min.replace(tzinfo=UTC), reverse=True)
        res.children = [loc for _, loc in dated]
        return res
    if kind != "urlset":
        raise FetchError(f"{url}: not a sitemap (root element <{kind}>)")
    for u in root:
        if _local(u.tag) != "url":
            continue
        cand = Candidate(url="", source_id=source_id, via="sitemap")
        for child in u.iter():
            name = _local(child.tag)
            text = (child.text or "").strip()
            if name == "loc" and not cand.url:
                cand.url = text
            elif name == "lastmod" and cand.published is None:
                cand.published = _date(text)
            elif name == "publication_date":
                cand.published = _date(text) or cand.published
            elif name == "title" and text:
                cand.title = text
            elif name == "language" and text:
                cand.language = text.split("-")[0].lower()
        if cand.url.startswith(("http://", "https://")):
            res.candidates.append(cand)
    return res


def _fetch_doc(fetcher: Fetcher, url: str, source_id: str, known: DocState | None,
               out: SitemapResult) -> SitemapResult | None:
    """Fetch one sitemap document, conditionally when `known` has validators. Returns the parsed
    document, or None when it is unchanged (304); records its new state in `out.states`."""
    if known is not None and not (known.etag or known.last_modified):
        known = None  # nothing to validate against: a plain GET
    res = fetcher.get(url, etag=known.etag if known else None,
                      last_modified=known.last_modified if known else None)
    out.fetched += 1
    if res.not_modified and known is not None:
        out.not_modified += 1
        out.states[url] = DocState(known.etag, known.last_modified, known.children, 304)
        return None
    doc = parse_sitemap(res.body, url, source_id)
    out.states[url] = DocState(res.headers.get("etag"), res.headers.get("last-modified"),
                               doc.children or None, res.status)
    return doc


def crawl_sitemap(fetcher: Fetcher, url: str, source_id: str, max_children: int = 5,
                  max_depth: int = 2, state: Callable[[str], DocState | None] | None = None) -> SitemapResult:
    """Fetch a sitemap (or index) and its most recent children; failures on children are recorded
    and the rest goes on. `state(url)` gives what was remembered about a document (validators and
    an index's children) for conditional GETs. Raises `FetchError`/`PolicyError` when the top
    document fails."""
    lookup = state or (lambda _u: None)
    top = SitemapResult(url=url)
    known = lookup(url)
    doc = _fetch_doc(fetcher, url, source_id, known, top)
    if doc is None:  # unchanged: an index is followed through its remembered children
        top.top_not_modified = True
        top.children = list((known.children if known else None) or [])
    else:
        top.children, top.candidates = doc.children, doc.candidates
    queue = [(c, 1) for c in top.children[:max_children]]
    seen = {url}
    while queue:
        child, depth = queue.pop(0)
        if child in seen or depth > max_depth:
            continue
        seen.add(child)
        child_known = lookup(child)
        try:
            sub = _fetch_doc(fetcher, child, source_id, child_known, top)
        except DuluanError as exc:
            log.warning("sitemap %s (source %s) failed: %s", child, source_id, exc)
            top.errors.append((child, str(exc)))
            continue
        if sub is None:
            children = (child_known.children if child_known else None) or []
        else:
            children = sub.children
            top.candidates.extend(sub.candidates)
        queue.extend((c, depth + 1) for c in children[:max_children])
    return top


def gzip_bytes(body: bytes) -> bytes:
    """Gzip helper (used by the press server to serve .xml.gz sitemaps)."""
    return gzip.compress(body)
