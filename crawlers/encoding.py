"""Decode fetched HTML correctly: a byte-order mark wins; bytes that are valid UTF-8 with
non-ASCII content are UTF-8 even when a header claims otherwise (the common "wrong charset
header" fault); then the HTTP charset, the page's own <meta> charset, and finally detection.

Legacy Vietnamese pages: windows-1258 (combining tone marks) decodes through Python's codecs and
is NFC-normalised later by `duluan.text.normalize_text`. Three older encodings Python has no codec
for are decoded here with our own tables: TCVN3 (ABC, the ".VnTime" font encoding), VISCII and
VNI-Windows. Old provincial and agency sites serve them as windows-1252/iso-8859-1 or with no
charset at all, so they are recognised by the page's font names (.VnTime, VNI-Times…) and by
character statistics — the decoded words must be well-formed Vietnamese syllables — and a real
Western cp1252 page (French, German…) is never converted (its words are not Vietnamese syllables).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import chardet

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ALIASES = {"x-user-defined": "windows-1252", "iso-8859-1": "windows-1252", "latin1": "windows-1252",
            "latin-1": "windows-1252", "us-ascii": "windows-1252", "ascii": "windows-1252",
            "gb2312": "gb18030", "gbk": "gb18030", "vn": "windows-1258"}
# charset labels that legacy Vietnamese pages (or their converters) declare for our own decoders
_LEGACY_LABELS = {"tcvn": "tcvn3", "tcvn3": "tcvn3", "tcvn-3": "tcvn3", "tcvn5712": "tcvn3", "tcvn-5712": "tcvn3",
                  "tcvn5712-1": "tcvn3", "x-viet-tcvn": "tcvn3", "x-viet-tcvn5712": "tcvn3", "abc": "tcvn3",
                  "viscii": "viscii", "x-viscii": "viscii", "csviscii": "viscii", "viscii1.1-1": "viscii",
                  "vni": "vni", "x-viet-vni": "vni", "vni-windows": "vni"}
# single-byte Western code pages a legacy Vietnamese page hides behind (declared or guessed)
_WESTERN = {"cp1252", "iso8859-1", "iso8859-15", "mac-roman", "cp1254", "iso8859-9", "cp1250", "iso8859-2"}

# ---------------------------------------------------------------- TCVN3 / VISCII tables
# Source: GNU libiconv, lib/tcvn.h ("TCVN-5712", the VN3 code table whose 0xA1–0xFF half is the
# ABC/.VnTime font layout; 0xB0–0xB4 are combining tone marks) and lib/viscii.h ("VISCII1.1-1",
# specification RFC 1456). Bytes 0x00–0x7F are ASCII except the control positions listed.
_TCVN3_LOW = {0x01: 0x00DA, 0x02: 0x1EE4, 0x04: 0x1EEA, 0x05: 0x1EEC, 0x06: 0x1EEE, 0x11: 0x1EE8, 0x12: 0x1EF0,
              0x13: 0x1EF2, 0x14: 0x1EF6, 0x15: 0x1EF8, 0x16: 0x00DD, 0x17: 0x1EF4}
_TCVN3_HIGH = (
    0x00C0, 0x1EA2, 0x00C3, 0x00C1, 0x1EA0, 0x1EB6, 0x1EAC, 0x00C8, 0x1EBA, 0x1EBC, 0x00C9, 0x1EB8, 0x1EC6, 0x00CC, 0x1EC8, 0x0128,
    0x00CD, 0x1ECA, 0x00D2, 0x1ECE, 0x00D5, 0x00D3, 0x1ECC, 0x1ED8, 0x1EDC, 0x1EDE, 0x1EE0, 0x1EDA, 0x1EE2, 0x00D9, 0x1EE6, 0x0168,
    0x00A0, 0x0102, 0x00C2, 0x00CA, 0x00D4, 0x01A0, 0x01AF, 0x0110, 0x0103, 0x00E2, 0x00EA, 0x00F4, 0x01A1, 0x01B0, 0x0111, 0x1EB0,
    0x0300, 0x0309, 0x0303, 0x0301, 0x0323, 0x00E0, 0x1EA3, 0x00E3, 0x00E1, 0x1EA1, 0x1EB2, 0x1EB1, 0x1EB3, 0x1EB5, 0x1EAF, 0x1EB4,
    0x1EAE, 0x1EA6, 0x1EA8, 0x1EAA, 0x1EA4, 0x1EC0, 0x1EB7, 0x1EA7, 0x1EA9, 0x1EAB, 0x1EA5, 0x1EAD, 0x00E8, 0x1EC2, 0x1EBB, 0x1EBD,
    0x00E9, 0x1EB9, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EBF, 0x1EC7, 0x00EC, 0x1EC9, 0x1EC4, 0x1EBE, 0x1ED2, 0x0129, 0x00ED, 0x1ECB, 0x00F2,
    0x1ED4, 0x1ECF, 0x00F5, 0x00F3, 0x1ECD, 0x1ED3, 0x1ED5, 0x1ED7, 0x1ED1, 0x1ED9, 0x1EDD, 0x1EDF, 0x1EE1, 0x1EDB, 0x1EE3, 0x00F9,
    0x1ED6, 0x1EE7, 0x0169, 0x00FA, 0x1EE5, 0x1EEB, 0x1EED, 0x1EEF, 0x1EE9, 0x1EF1, 0x1EF3, 0x1EF7, 0x1EF9, 0x00FD, 0x1EF5, 0x1ED0,
)
_VISCII_LOW = {0x02: 0x1EB2, 0x05: 0x1EB4, 0x06: 0x1EAA, 0x14: 0x1EF6, 0x19: 0x1EF8, 0x1E: 0x1EF4}
_VISCII_HIGH = (
    0x1EA0, 0x1EAE, 0x1EB0, 0x1EB6, 0x1EA4, 0x1EA6, 0x1EA8, 0x1EAC, 0x1EBC, 0x1EB8, 0x1EBE, 0x1EC0, 0x1EC2, 0x1EC4, 0x1EC6, 0x1ED0,
    0x1ED2, 0x1ED4, 0x1ED6, 0x1ED8, 0x1EE2, 0x1EDA, 0x1EDC, 0x1EDE, 0x1ECA, 0x1ECE, 0x1ECC, 0x1EC8, 0x1EE6, 0x0168, 0x1EE4, 0x1EF2,
    0x00D5, 0x1EAF, 0x1EB1, 0x1EB7, 0x1EA5, 0x1EA7, 0x1EA9, 0x1EAD, 0x1EBD, 0x1EB9, 0x1EBF, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EC7, 0x1ED1,
    0x1ED3, 0x1ED5, 0x1ED7, 0x1EE0, 0x01A0, 0x1ED9, 0x1EDD, 0x1EDF, 0x1ECB, 0x1EF0, 0x1EE8, 0x1EEA, 0x1EEC, 0x01A1, 0x1EDB, 0x01AF,
    0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x1EA2, 0x0102, 0x1EB3, 0x1EB5, 0x00C8, 0x00C9, 0x00CA, 0x1EBA, 0x00CC, 0x00CD, 0x0128, 0x1EF3,
    0x0110, 0x1EE9, 0x00D2, 0x00D3, 0x00D4, 0x1EA1, 0x1EF7, 0x1EEB, 0x1EED, 0x00D9, 0x00DA, 0x1EF9, 0x1EF5, 0x00DD, 0x1EE1, 0x01B0,
    0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x1EA3, 0x0103, 0x1EEF, 0x1EAB, 0x00E8, 0x00E9, 0x00EA, 0x1EBB, 0x00EC, 0x00ED, 0x0129, 0x1EC9,
    0x0111, 0x1EF1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x1ECF, 0x1ECD, 0x1EE5, 0x00F9, 0x00FA, 0x0169, 0x1EE7, 0x00FD, 0x1EE3, 0x1EEE,
)


def _byte_table(low: dict[int, int], high: tuple[int, ...]) -> dict[int, str]:
    """Byte → Unicode character for the positions that differ from ASCII/Latin-1."""
    table = {b: chr(u) for b, u in low.items()}
    table.update({0x80 + i: chr(u) for i, u in enumerate(high)})
    return table


def _charmap(table: dict[int, str]) -> str:
    """A 256-character decoding table for `codecs.charmap_decode` (C speed)."""
    return "".join(table.get(b, chr(b)) for b in range(256))


_TCVN3 = _byte_table(_TCVN3_LOW, _TCVN3_HIGH)
_VISCII = _byte_table(_VISCII_LOW, _VISCII_HIGH)
_TCVN3_MAP, _VISCII_MAP = _charmap(_TCVN3), _charmap(_VISCII)
_TCVN3_ENC = {v: k for k, v in _TCVN3.items()}
_VISCII_ENC = {v: k for k, v in _VISCII.items()}

# ---------------------------------------------------------------- VNI-Windows
# Source: the VNI table of xvnkb (Dao Hai Lam, vni.h): a base letter in cp1252 followed by a
# cp1252 character carrying the diacritic — tones sắc/huyền/hỏi/ngã/nặng = Ù Ø Û Õ Ï (after plain
# vowels, ơ "Ô" and ư "Ö"), Á À Å Ã Ä after the circumflex "Â", É È Ú Ü Ë after the breve "Ê";
# i takes single characters Í Ì Æ Ó Ò, ỵ is "Î", đ is "Ñ". Lower case uses the lower-case forms.
_TONES = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def _vni_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for upper in (True, False):
        def c(s: str, up: bool = upper) -> str:
            return s if up else s.lower()
        plain_tones = [c(t) for t in "ÙØÛÕÏ"]
        groups = [  # (VNI base, Unicode base, VNI tone characters)
            *((c(v), c(v), plain_tones) for v in "AEOUY"),
            (c("Ô"), c("Ơ"), plain_tones), (c("Ö"), c("Ư"), plain_tones),
            (c("AÂ"), c("Â"), [c("AÂ")[:1] + c(t) for t in "ÁÀÅÃÄ"]),
            (c("EÂ"), c("Ê"), [c("EÂ")[:1] + c(t) for t in "ÁÀÅÃÄ"]),
            (c("OÂ"), c("Ô"), [c("OÂ")[:1] + c(t) for t in "ÁÀÅÃÄ"]),
            (c("AÊ"), c("Ă"), [c("AÊ")[:1] + c(t) for t in "ÉÈÚÜË"]),
        ]
        for vbase, ubase, tones in groups:
            if len(vbase) == 2:
                pairs[vbase] = ubase
                seqs = tones
            else:
                if vbase != ubase:  # ơ and ư on their own
                    pairs[vbase] = ubase
                seqs = [vbase + t for t in tones]
            for seq, mark in zip(seqs, _TONES, strict=True):
                pairs[seq] = unicodedata.normalize("NFC", ubase + mark)
        for vni, mark in zip(c("ÍÌÆÓÒ"), _TONES, strict=True):
            pairs[vni] = unicodedata.normalize("NFC", c("I") + mark)
        pairs[c("Î")] = c("Ỵ")
        pairs[c("Ñ")] = c("Đ")
    return pairs


_VNI_PAIRS = _vni_pairs()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI_PAIRS, key=len, reverse=True)))
_VNI_ENC = {v: k for k, v in sorted(_VNI_PAIRS.items(), key=lambda kv: len(kv[0]))}

# ---------------------------------------------------------------- Vietnamese syllable statistics

_NUCLEI = ("iêu|yêu|ươi|ươu|uôi|oai|oay|oeo|uây|uya|uyê|uyu|uơi|ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|ôi|ơi|"
           "ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ươ|ưu|yê|a|ă|â|e|ê|i|o|ô|ơ|u|ư|y")
_SYLLABLE = re.compile(rf"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?(?:{_NUCLEI})(?:ch|ng|nh|[cmnpt])?")
_TONE_MARKS = dict.fromkeys(map(ord, _TONES))
_WORD = re.compile(r"[^\W\d_]+")
_VN_FONTS = {"tcvn3": re.compile(r"\.Vn[A-Z][A-Za-z]*", re.I), "vni": re.compile(r"VNI[- ][A-Z][a-z]+", re.I)}


def vietnamese_share(text: str, max_words: int = 150) -> tuple[float, int]:
    """(share of the non-ASCII words that are well-formed Vietnamese syllables, number of such
    words; at most `max_words` are looked at). Real Vietnamese scores near 1; French/German words
    read through a Vietnamese table ("fỹr", "ộtộ", "trốs") are not syllables and score near 0."""
    ok = n = 0
    for m in _WORD.finditer(text):
        w = m.group(0)
        if w.isascii():
            continue
        decomposed = unicodedata.normalize("NFD", w.lower())
        marks = sum(1 for ch in decomposed if ord(ch) in _TONE_MARKS)
        base = unicodedata.normalize("NFC", decomposed.translate(_TONE_MARKS))
        ok += marks <= 1 and _SYLLABLE.fullmatch(base) is not None
        n += 1
        if n >= max_words:
            break
    return (ok / n if n else 0.0), n


def decode_legacy(body: bytes, name: str) -> str:
    """`body` decoded from TCVN3, VISCII or VNI-Windows to NFC Unicode."""
    if name == "vni":
        text = codecs.charmap_decode(body, "strict", _CP1252_MAP)[0]
        text = _VNI_RE.sub(lambda m: _VNI_PAIRS[m.group(0)], text)
    else:
        text = codecs.charmap_decode(body, "strict", _TCVN3_MAP if name == "tcvn3" else _VISCII_MAP)[0]
    return unicodedata.normalize("NFC", text)


def encode_legacy(text: str, name: str) -> bytes:
    """NFC text encoded the way a legacy page stores it (what the tests serve); characters the
    encoding lacks become numeric character references, as HTML editors write them."""
    text = unicodedata.normalize("NFC", text)
    if name == "vni":
        out = "".join(_VNI_ENC.get(ch, ch) for ch in text)
        return out.encode("cp1252", "xmlcharrefreplace")
    table = _TCVN3_ENC if name == "tcvn3" else _VISCII_ENC
    buf = bytearray()
    for ch in text:
        o = ord(ch)
        if ch in table:
            buf.append(table[ch])
        elif o < 0x80 and o not in (_TCVN3_LOW if name == "tcvn3" else _VISCII_LOW):
            buf.append(o)
        else:
            buf += f"&#{o};".encode("ascii")
    return bytes(buf)


# cp1252's 0x80–0x9F punctuation (VNI text is cp1252 text); undefined positions stay as they are
_CP1252_MAP = _charmap({b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)})


def sniff_legacy(body: bytes) -> str | None:
    """"tcvn3", "viscii" or "vni" when the (non-UTF-8, Western-labelled or unlabelled) page is
    really written in one of them, else None. Font names lower the bar; without them the decoded
    words must be overwhelmingly Vietnamese syllables, far more than in the cp1252 reading."""
    sample = body[:150_000]
    if not any(b >= 0x80 for b in sample):
        return None
    head = sample.decode("latin-1")
    # markup is ASCII in all three encodings; 12 KB of visible text holds enough words to judge
    visible = re.sub(r"\s+", " ", _visible(head)[:20_000]).encode("latin-1")[:12_000]
    best: tuple[float, str] | None = None
    for name in ("tcvn3", "vni", "viscii"):
        share, n = vietnamese_share(decode_legacy(visible, name))
        font = _VN_FONTS.get(name)
        if (n >= 3 and share >= 0.5 and font is not None and font.search(head) is not None) or (n >= 12 and share >= 0.75):
            if best is None or share > best[0]:
                best = (share, name)
    if best is None:
        return None
    western, _ = vietnamese_share(visible.decode("cp1252", "replace"))
    hinted = (font := _VN_FONTS.get(best[1])) is not None and font.search(head) is not None
    return best[1] if hinted or best[0] >= western + 0.3 else None


_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)


def _visible(html_text: str) -> str:
    return _TAGS.sub(" ", html_text)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _meta_label(body: bytes) -> str | None:
    m = _META.search(body[:8192])
    return m.group(1).decode("ascii", "ignore").strip().lower() if m else None


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its own <meta> tags (first 8 KB)."""
    return _codec(_meta_label(body))


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
    labels = [(declared or "").strip().strip("\"'").lower(), _meta_label(body) or ""]
    for label in labels:
        if label in _LEGACY_LABELS:
            name = _LEGACY_LABELS[label]
            return decode_legacy(body, name), name
    codecs_declared = [c for c in (_codec(labels[0]), _codec(labels[1])) if c]
    if all(c in _WESTERN for c in codecs_declared):  # Western or nothing declared: maybe a legacy VN page
        legacy = sniff_legacy(body)
        if legacy:
            return decode_legacy(body, legacy), legacy
    tried: list[str] = []
    for enc in codecs_declared:
        if enc and enc not in tried and enc != "utf-8":
            tried.append(enc)
            try:
                return body.decode(enc), enc
            except UnicodeDecodeError:
                continue
    guess = chardet.detect(body[:200_000]).get("encoding")
    enc = _codec(guess) or (tried[0] if tried else "windows-1252")
    return body.decode(enc, "replace"), enc
