"""Normalisation: repair mojibake, NFC, one tone-mark placement, unified quotes/dashes/spaces,
and removal of boilerplate lines that extraction leaves behind.

Every later enricher (mention offsets, topic terms, summaries) works on the normalised text, so
this runs first. The character-level rules live in `duluan.text` (the index uses them too);
this module adds what only applies to whole article texts.
"""

from __future__ import annotations

import re

from duluan.models import Article
from duluan.text import fold, normalize_text

METHOD = "normalize@2"

# UTF-8 bytes decoded as cp1252/latin-1 show up as these pairs ("Ã¡" for "á", "Ä‘" for "đ").
_MOJIBAKE_RE = re.compile(r"[\u00c2-\u00c6\u00e1\u00c4\u00c5\u00e2][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc\u0192]")
_MOJIBAKE_HINTS = ("Ã", "Ä", "áº", "á»", "Æ°", "Æ¡", "â€")

# Lines that are page furniture, not article text (Vietnamese and foreign outlets).
_BOILERPLATE_RE = re.compile(
    r"^\s*(?:"
    r"(?:xem thêm|đọc thêm|tin liên quan|bài liên quan|tin cùng chuyên mục|"
    r"theo dõi .{0,40} trên|quảng cáo|đăng ký nhận tin|"
    r"read more|related(?: articles| stories)?|advertisement|share (?:this|on)|sign up for|subscribe|"
    r"follow us|click here|lire aussi|à lire aussi|publicité|相关新闻|相关阅读|関連記事|広告)\b.{0,80}"
    r"|(?:copyright|©|bản quyền thuộc).{0,160}"
    r"|(?:ảnh|photo|video|nguồn|source)\s*:\s*.{0,60}"
    r")\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
_MAX_CHARS = 2_000_000  # anything longer is cut: no real article is 2 MB of text


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252 or latin-1, when that is clearly what happened.

    Applied only when the repaired text has fewer mojibake pairs than the input, so correct
    text (including French or German with "Ã" in it) is left alone."""
    if not text or not any(h in text for h in _MOJIBAKE_HINTS):
        return text
    before = len(_MOJIBAKE_RE.findall(text))
    if before == 0:
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec, errors="strict").decode("utf-8", errors="strict")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if len(_MOJIBAKE_RE.findall(fixed)) < before:
            return fixed
    # mixed text: repair run by run
    def _run(m: re.Match[str]) -> str:
        s = m.group(0)
        for codec in ("cp1252", "latin-1"):
            try:
                return s.encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
        return s

    return re.sub(r"[\u0080-\u024f\u2018-\u203a\u02c6\u02dc]{2,}", _run, text)


def strip_boilerplate(text: str) -> str:
    """Drop page-furniture lines (share buttons, "read more", photo credits) and blank runs."""
    if not text:
        return ""
    text = _BOILERPLATE_RE.sub("", text)
    text = _BLANK_LINES_RE.sub("\n", text)
    return text.strip()


def normalize_article_text(text: str | None) -> str:
    """The full normalisation of one text field."""
    if not text:
        return ""
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS]
    return strip_boilerplate(normalize_text(fix_mojibake(text)))


def folded(text: str) -> str:
    """The diacritic-folded, lower-case form used for matching and search."""
    return fold(text)


def normalize(article: Article) -> Article:
    """Normalise title, text and summary; records the method on the article."""
    title = normalize_article_text(article.title).replace("\n", " ")
    return article.model_copy(update={
        "title": title,
        "text": normalize_article_text(article.text),
        "summary": normalize_article_text(article.summary) if article.summary else "",
        "enrichment": {**article.enrichment, "normalize": METHOD},
    })
