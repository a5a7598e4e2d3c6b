"""Extraction: fetched page (`RawArticle`) → `Article`, with trafilatura for the main text.

Title, date, authors, section and language come first from the page's structured metadata
(JSON-LD, OpenGraph/article meta, a validated <h1>) because those are what the newsroom typed;
trafilatura's own guesses and the feed entry fill gaps, and `htmldate` is the last resort for the
date. Pages with no article (section indexes, galleries, 404 pages served with 200) raise
`ExtractError` so the pipeline counts and drops them instead of indexing empty articles.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import lxml.html
from dateutil import parser as dateparser
from lxml import etree

from crawlers.encoding import decode_html
from duluan.errors import ExtractError
from duluan.models import Article, Kind, RawArticle, Source, article_id, canonicalize_url
from duluan.text import normalize_text

log = logging.getLogger("crawlers.extract")

MIN_TEXT_CHARS = 200          # below this a page is not an article (CJK: see _min_chars)
MAX_LINKED_SHARE = 0.3        # share of the main text made of link texts above which a page is an index
EXTRACTOR_VERSION = "crawlers.extract@1"

_ARTICLE_TYPES = ("Article", "NewsArticle", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle",
                  "OpinionNewsArticle", "LiveBlogPosting", "WebPageArticle")
_NOT_FOUND = re.compile(r"\b(404|not found|page not found|không tìm thấy|trang không tồn tại|introuvable)\b", re.I)
_TITLE_SUFFIX = re.compile(r"\s*[|｜\-–—:：]+\s*[^|｜\-–—:：]{2,40}$")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_URL_STAMP = re.compile(r"[-_/](20\d{12})\d{0,3}(?:\.\w{2,4})?(?:$|[?#])")  # e.g. Dân Trí's -20221224095943188.htm
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


# ---------------------------------------------------------------- metadata readers


def _json_ld_articles(doc: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:  # trailing commas / control chars are common
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")), strict=False)
            except ValueError:
                continue
        stack = [data]
        while stack:
            x = stack.pop()
            if isinstance(x, list):
                stack.extend(x)
            elif isinstance(x, dict):
                if "@graph" in x:
                    stack.append(x["@graph"])
                types = x.get("@type")
                types = types if isinstance(types, list) else [types]
                if any(str(t).endswith(_ARTICLE_TYPES) for t in types):
                    out.append(x)
                if isinstance(x.get("mainEntity"), dict):
                    stack.append(x["mainEntity"])
    return out


def _meta(doc: Any, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            vals = doc.xpath(f'//meta[@{attr}="{name}"]/@content')
            for v in vals:
                if v and v.strip():
                    return v.strip()
    return None


def _parse_date(value: Any, tz: str) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        dt = dateparser.parse(value.strip())
    except (ValueError, OverflowError):
        return None
    if dt.year < 1990 or dt.year > 2100:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return dt.astimezone(UTC)


def _names(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _similar(a: str, b: str) -> bool:
    ta, tb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    if not ta or not tb:
        return False
    if _CJK.search(a):
        ca, cb = set(a), set(b)
        return min(len(a), len(b)) >= 0.5 * max(len(a), len(b)) and len(ca & cb) / max(1, min(len(ca), len(cb))) >= 0.6
    return len(ta & tb) / min(len(ta), len(tb)) >= 0.6


def _tz_for(source: Source | None) -> str:
    return "Asia/Ho_Chi_Minh" if source is not None and source.country == "VN" else "UTC"


def _min_chars(text: str) -> int:
    return MIN_TEXT_CHARS // 2 if len(_CJK.findall(text[:400])) > 100 else MIN_TEXT_CHARS


# ---------------------------------------------------------------- the extractor


def parse_html(raw: RawArticle) -> tuple[Any, str, str]:
    """(lxml document, decoded text, encoding) for a fetched page; JSP/ASP directives dropped."""
    if not raw.html:
        raise ExtractError(f"{raw.url}: empty page")
    text, enc = decode_html(raw.html, raw.encoding)
    if "<%" in text[:2000]:
        text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("<%"))
    text = _XML_DECL.sub("", text, count=1)
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"{raw.url}: not an HTML page: {exc}") from None
    return doc, text, enc


def _anchor_texts(doc: Any) -> set[str]:
    out: set[str] = set()
    for a in doc.iter("a"):
        t = re.sub(r"\s+", " ", a.text_content() or "").strip()
        if len(t) >= 20:
            out.add(t)
    return out


def _linked_share(anchors: set[str], text: str) -> float:
    """Share of the extracted text made of link texts: teaser lists score high, articles ~0."""
    flat = re.sub(r"\s+", " ", text)
    if not flat:
        return 1.0
    return sum(len(t) for t in anchors if t in flat) / len(flat)


def _norm_title(t: str) -> str:
    return re.sub(r"\W+", " ", html.unescape(t)).strip().lower()


_SEP = r"[|｜\-–—:：ㅣ·•*]"
_TAIL = re.compile(r"^\s*[|｜\-–—ㅣ·•*]+\s*(?:\w+\s*){1,3}$")  # "-정치", " | World News": no colon subtitles


def _title(doc: Any, lds: list[dict[str, Any]], traf_title: str | None, raw: RawArticle) -> str:
    """The article's headline, without the site name.

    Candidates: og:title, JSON-LD `headline`, an <h1> that resembles the others, trafilatura's
    title and <title> (as is and without its last " | tail"). Site-name tails are cut by
    og:site_name, including anything after it (" | The Gateway Pundit | by …"). The headline most
    candidates agree on wins; ties go to the outlet's declared headlines (JSON-LD, then og:title),
    then <h1>, trafilatura, <title>. If the winner is another
    candidate plus a short section/site tail ("…-정치" beside "…"), the shorter one is taken."""
    page_title = re.sub(r"\s+", " ", doc.findtext(".//title") or "").strip()
    ld_head: str | None = None
    for ld in lds:
        headline = ld.get("headline") or ld.get("name")
        if isinstance(headline, str) and headline.strip():
            ld_head = headline
            break
    og = _meta(doc, "og:title", "twitter:title")
    refs = [t for t in (og, page_title, traf_title, ld_head) if t]
    h1_text = None
    for h in doc.iter("h1"):
        text = re.sub(r"\s+", " ", h.text_content()).strip()
        if 4 <= len(text) <= 400 and any(_similar(text, r) for r in refs):
            h1_text = text
            break
    site = (_meta(doc, "og:site_name", "application-name") or "").strip()
    cut = re.compile(rf"\s*{_SEP}\s*" + re.escape(site) + rf"(?:\s*{_SEP}.*)?$", re.I) if site else None

    def clean(t: str | None) -> str:
        t = html.unescape(re.sub(r"\s+", " ", html.unescape(t or ""))).strip()
        return (cut.sub("", t) or t) if cut else t

    stripped = _TITLE_SUFFIX.sub("", page_title) if page_title else ""
    cands = [c for c in (clean(ld_head), clean(og), clean(h1_text), clean(traf_title), clean(page_title),
                         clean(stripped) if stripped != page_title else "") if c]
    if not cands:
        return raw.feed_title or ""
    normed = [_norm_title(c) for c in cands]
    best, best_score = cands[0], -1
    for i, c in enumerate(cands):
        score = sum(1 for j, n in enumerate(normed) if j != i and n == normed[i])
        if score > best_score:
            best, best_score = c, score
    shorter = [c for c in cands if len(c) < len(best) and best.startswith(c) and _TAIL.match(best[len(c):])]
    return max(shorter, key=len) if shorter else best


def _published(doc: Any, lds: list[dict[str, Any]], raw: RawArticle, html_text: str, tz: str) -> tuple[datetime | None, str]:
    for ld in lds:
        dt = _parse_date(ld.get("datePublished") or ld.get("dateCreated"), tz)
        if dt:
            return dt, "json-ld"
    dt = _parse_date(_meta(doc, "article:published_time", "datePublished", "og:published_time", "pubdate",
                           "publishdate", "publish-date", "date", "dc.date", "DC.date.issued", "sailthru.date",
                           "parsely-pub-date", "article.published", "cXenseParse:recs:publishtime"), tz)
    if dt:
        return dt, "meta"
    for t in doc.xpath('//time[@datetime]/@datetime')[:1]:
        dt = _parse_date(t, tz)
        if dt:
            return dt, "time-tag"
    if raw.feed_published:
        return raw.feed_published, "feed"
    m = _URL_STAMP.search(raw.final_url or raw.url)
    if m:
        try:
            return datetime.strptime(m.group(1), "%Y%m%d%H%M%S").replace(tzinfo=ZoneInfo(tz)).astimezone(UTC), "url"
        except ValueError:
            pass
    from htmldate import find_date

    found = find_date(html_text, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S", extensive_search=True)
    dt = _parse_date(found, tz) if found else None
    return (dt, "htmldate") if dt else (None, "")


def _canonical(doc: Any, raw: RawArticle) -> str:
    base = raw.final_url or raw.url
    for href in doc.xpath('//link[@rel="canonical"]/@href') + doc.xpath('//meta[@property="og:url"]/@content'):
        href = href.strip()
        if not href:
            continue
        url = urljoin(base, href)
        if not url.startswith(("http://", "https://")):
            continue
        # a canonical that points at the home page of an article URL is a site bug: ignore it
        if urlsplit(url).path in ("", "/") and urlsplit(base).path not in ("", "/"):
            continue
        return url
    return base


def _language(doc: Any, lds: list[dict[str, Any]], raw: RawArticle, source: Source | None) -> str | None:
    cands = [doc.get("lang"), doc.get("xml:lang"), _meta(doc, "og:locale", "content-language", "language")]
    cands += [ld.get("inLanguage") for ld in lds if isinstance(ld.get("inLanguage"), str)]
    http_equiv = doc.xpath('//meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content')
    cands += list(http_equiv) + [raw.feed_language, source.language if source else None]
    for c in cands:
        if c and isinstance(c, str) and re.match(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*$", c.strip()):
            return c.strip().replace("_", "-").split("-")[0].lower()
    return None


def _section(doc: Any, lds: list[dict[str, Any]], categories: list[str], url: str) -> str | None:
    for ld in lds:
        sec = ld.get("articleSection")
        if isinstance(sec, list):
            sec = sec[0] if sec else None
        if isinstance(sec, str) and sec.strip():
            return sec.strip()
    sec = _meta(doc, "article:section", "section")
    if sec:
        return sec
    cats = [c for c in categories if c and c.strip()]
    if cats:
        return cats[0].strip()
    first = urlsplit(url).path.strip("/").split("/")[0]
    return first if re.fullmatch(r"[a-z][a-z-]{2,30}", first or "") else None


def extract_article(raw: RawArticle, source: Source | None) -> Article:
    """The `Article` in a fetched page; `ExtractError` when the page holds no article."""
    from trafilatura import bare_extraction

    if raw.status and raw.status >= 400:
        raise ExtractError(f"{raw.url}: HTTP {raw.status}")
    doc, html_text, enc = parse_html(raw)
    tz = _tz_for(source)
    lds = _json_ld_articles(doc)
    og_type = (_meta(doc, "og:type") or "").lower()
    anchors = _anchor_texts(doc)
    canonical = _canonical(doc, raw)
    date, date_method = _published(doc, lds, raw, html_text, tz)
    lang = _language(doc, lds, raw, source)
    section_url = canonical
    meta_authors = [n for ld in lds for n in _names(ld.get("author"))] or _names(_meta(doc, "author", "article:author"))

    try:
        doc_for_traf = lxml.html.document_fromstring(html_text)
        # metadata comes from our own pass over the page (JSON-LD, meta tags, <time>, htmldate);
        # trafilatura's metadata pass costs as much as its text extraction, so only its cheap
        # title and author helpers are used below
        res = bare_extraction(doc_for_traf, url=canonical, with_metadata=False, include_comments=False)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise ExtractError(f"{raw.url}: extraction failed: {exc}") from None
    data: dict[str, Any] = res.as_dict() if res is not None and hasattr(res, "as_dict") else (res or {})
    from trafilatura.metadata import extract_author, extract_catstags, extract_title

    try:
        data["title"] = extract_title(doc)
        data["author"] = data.get("author") or (None if meta_authors else extract_author(doc))
        data["categories"] = extract_catstags("category", doc)
    except (ValueError, TypeError, etree.LxmlError):  # metadata is a fallback: never fatal
        pass
    data["description"] = _meta(doc, "description", "og:description", "twitter:description")
    text = normalize_text(data.get("text") or "")
    if len(text) < _min_chars(text):  # a second, recall-oriented pass, then the page's own articleBody
        res2 = bare_extraction(lxml.html.document_fromstring(html_text), url=canonical, favor_recall=True,
                               include_comments=False)
        text2 = normalize_text(getattr(res2, "text", None) or "") if res2 is not None else ""
        bodies = [b for ld in lds if isinstance(b := ld.get("articleBody"), str)]
        text = max([text, text2, *(normalize_text(html.unescape(b)) for b in bodies)], key=len)
    title = normalize_text(_title(doc, lds, data.get("title"), raw))

    is_article_typed = bool(lds) or og_type == "article" or _meta(doc, "article:published_time") is not None
    share = _linked_share(anchors, text)
    if len(text) < _min_chars(text):
        raise ExtractError(f"{raw.url}: no article text ({len(text)} characters)")
    if _NOT_FOUND.search(title) and len(text) < 2000 and not is_article_typed:
        raise ExtractError(f"{raw.url}: a 'not found' page served with status {raw.status}")
    typed_other = og_type not in ("", "article") and not lds and _meta(doc, "article:published_time") is None
    if share >= MAX_LINKED_SHARE or typed_other:
        raise ExtractError(f"{raw.url}: an index/listing page ({share:.0%} of its text is links)")
    if not title:
        raise ExtractError(f"{raw.url}: no title")
    if date is None:
        traf_date = _parse_date(data.get("date"), tz)
        if traf_date is None:
            raise ExtractError(f"{raw.url}: no publication date in the page or the feed")
        date, date_method = traf_date, "trafilatura"

    authors = meta_authors or [a.strip() for a in (data.get("author") or "").split(";") if a.strip()]
    authors = list(dict.fromkeys(normalize_text(a) for a in authors if len(a) < 120))
    summary = normalize_text(data.get("description") or raw.feed_summary or "")
    categories = data.get("categories") or []
    section = _section(doc, lds, categories if isinstance(categories, list) else [], section_url)
    return Article(
        id=article_id(canonical),
        url=raw.final_url or raw.url,
        canonical_url=canonicalize_url(canonical),
        source_id=source.id if source else raw.source_id,
        source_name=source.name if source else "",
        source_country=source.country if source else "",
        source_kind=source.kind if source else Kind.foreign,
        source_state=source.state if source else False,
        section=normalize_text(section) if section else None,
        title=title,
        text=text,
        summary=summary[:1000],
        authors=authors,
        published_at=date,
        fetched_at=raw.fetched_at,
        extra={
            "language_hint": lang,
            "encoding": enc,
            "date_method": date_method,
            "extractor": EXTRACTOR_VERSION,
            "redirects": list(raw.redirects),
        },
    )
