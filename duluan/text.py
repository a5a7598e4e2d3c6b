"""Text normalisation shared by every stage: NFC, one tone-mark placement, diacritic folding.

Everything that compares, indexes or matches text goes through `normalize_text` first, and
diacritic-insensitive matching goes through `fold`. Kept in the application shell so that the
index and the enrichers (which may not import each other) use the very same functions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Vietnamese tone marks as combining characters (grave, acute, hook, tilde, dot below).
_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
# Vowel shape marks that stay with their letter (circumflex, breve, horn).
_SHAPES = {"\u0302", "\u0306", "\u031b"}
_VOWELS = set("aeiouyAEIOUY")
_NUCLEI = {
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y",
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi",
    "ơi", "oo", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ưu", "ươ", "iêu", "oai",
    "oay", "oeo", "uây", "uôi", "ươi", "ươu", "uya", "uyê", "uyu", "yê", "yêu",
}
_FINALS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_CONTROL_RE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\u2060\ufeff]")
_QUOTES = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
})
_CJK_RE = re.compile(
    r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f\u1780-\u17ff\u0e80-\u0eff])"
)


def _split_letter(ch: str) -> tuple[str, str]:
    """Return (letter with shape mark, tone mark or '') for one precomposed character."""
    d = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in d if c in _TONES)
    rest = "".join(c for c in d if c not in _TONES)
    return unicodedata.normalize("NFC", rest), tone


@lru_cache(maxsize=200_000)
def _retone_word(word: str) -> str:
    """Put the tone mark of one Vietnamese syllable on the traditional vowel (hòa, thủy, quý)."""
    letters = [_split_letter(c) for c in word]
    tones = [(i, t) for i, (_, t) in enumerate(letters) if t]
    if len(tones) != 1 or len(tones[0][1]) != 1:
        return word
    base = "".join(b for b, _ in letters)
    low = base.lower()
    # the vowel cluster: the first run of vowels (a letter whose base is a vowel)
    idx = [i for i, ch in enumerate(low) if unicodedata.normalize("NFD", ch)[0] in _VOWELS]
    if not idx:
        return word
    start, end = idx[0], idx[0]
    while end + 1 < len(low) and end + 1 in idx:
        end += 1
    if any(i > end for i in idx):
        return word  # more than one vowel cluster: not a single Vietnamese syllable
    onset = low[:start]
    # "qu" and "gi" + vowel: the u / i belongs to the onset
    if onset == "q" and low[start] == "u" and end > start:
        start += 1
    elif onset == "g" and low[start] == "i" and end > start:
        start += 1
    nucleus = low[start : end + 1]
    final = low[end + 1 :]
    if nucleus not in _NUCLEI or final not in _FINALS:
        return word
    shaped = [i for i in range(start, end + 1) if any(c in _SHAPES for c in unicodedata.normalize("NFD", low[i]))]
    if shaped:
        pos = shaped[-1]
    elif final:
        pos = end
    elif len(nucleus) == 3:
        pos = start + 1
    else:
        pos = start
    if pos == tones[0][0]:
        return word
    tone = tones[0][1]
    out = []
    for i, (b, _) in enumerate(letters):
        out.append(unicodedata.normalize("NFC", b + tone) if i == pos else b)
    return "".join(out)


def _retone_match(m: re.Match[str]) -> str:
    w = m.group(0)
    return w if w.isascii() or len(w) > 12 else _retone_word(w)


def normalize_tone_marks(text: str) -> str:
    """One tone-mark placement for every Vietnamese syllable ("hoà" → "hòa", "qúy" → "quý")."""
    if text.isascii():
        return text
    return _WORD_RE.sub(_retone_match, text)


def normalize_text(text: str | None) -> str:
    """NFC, one tone-mark placement, unified quotes/dashes/spaces, no control characters."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL_RE.sub("", text)
    text = text.translate(_QUOTES)
    text = _SPACES_RE.sub(" ", text)
    return normalize_tone_marks(text)




_COMBINING_RE = re.compile(r"[\u0300-\u036f]")


def fold(text: str | None) -> str:
    """Lower-case, diacritic-free form for matching and search ("Đà Nẵng" → "da nang")."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    text = _COMBINING_RE.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", text.replace("đ", "d").replace("Đ", "D")).lower()


def split_cjk(text: str) -> str:
    """Put spaces around every CJK/Thai/Khmer/Lao character so a word index sees one token each."""
    return _CJK_RE.sub(r" \1 ", text)


def has_diacritics(text: str) -> bool:
    """True when folding would change the text (it carries Vietnamese or Latin diacritics)."""
    return fold(text) != text.lower()
