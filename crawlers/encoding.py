"""Decode fetched HTML correctly: a byte-order mark wins; bytes that are valid UTF-8 with
non-ASCII content are UTF-8 even when a header claims otherwise (the common "wrong charset
header" fault); then the HTTP charset, the page's own <meta> charset, and finally detection.
Legacy Vietnamese code pages (windows-1258 with combining tone marks, TCVN3 is out of scope)
decode through Python's codecs and are NFC-normalised later by `duluan.text.normalize_text`."""

from __future__ import annotations

import codecs
import re

import chardet

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ALIASES = {"x-user-defined": "windows-1252", "iso-8859-1": "windows-1252", "latin1": "windows-1252",
            "latin-1": "windows-1252", "us-ascii": "windows-1252", "ascii": "windows-1252",
            "gb2312": "gb18030", "gbk": "gb18030", "vn": "windows-1258"}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its own <meta> tags (first 8 KB)."""
    m = _META.search(body[:8192])
    return _codec(m.group(1).decode("ascii", "ignore")) if m else None


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Never raises: undecodable bytes become U+FFFD as a last resort."""
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return body.decode(enc, "replace"), enc
    try:
        text = body.decode("utf-8")
        if not text.isascii() or _codec(declared) in (None, "utf-8"):
            return text, "utf-8"
    except UnicodeDecodeError:
        pass
    tried: list[str] = []
    for enc in (_codec(declared), meta_charset(body)):
        if enc and enc not in tried and enc != "utf-8":
            tried.append(enc)
            try:
                return body.decode(enc), enc
            except UnicodeDecodeError:
                continue
    guess = chardet.detect(body[:200_000]).get("encoding")
    enc = _codec(guess) or (tried[0] if tried else "windows-1252")
    return body.decode(enc, "replace"), enc
