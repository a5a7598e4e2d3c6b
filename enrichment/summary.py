"""Extractive summary: two or three sentences in the article's language — the lead sentence
plus the most central sentences, preferring the ones that mention the city.

Centrality is the overlap of a sentence's words with the whole text (a cheap TextRank-like
measure that needs no model); sentences are returned in their original order.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from duluan.models import Article

METHOD = "lead+central@1"
MAX_SENTENCES = 3
MAX_CHARS = 600
_BOUNDARY_RE = re.compile(r"[.!?]+[\"'”’)]*(?=\s)|[。！？]+[」』”）]*|\n+")
_ABBR_RE = re.compile(r"(?<![\w.])[A-ZĐ][A-Za-zĐđ]{0,3}\.")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1780-\u17ff\uac00-\ud7af]")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of at least a few characters. A full stop ends a sentence
    only before a space and not after an abbreviation ("TP. HCM", "Q. 1", "Dr. Smith");
    Chinese and Japanese stops end one wherever they are."""
    out: list[tuple[int, int]] = []
    if not text:
        return out
    start = 0
    for m in _BOUNDARY_RE.finditer(text):
        end = m.end()
        if m.group(0)[0] in ".!?":
            before = _ABBR_RE.search(text, max(0, m.start() - 6), m.start() + 1)
            if before is not None and before.end() == m.start() + 1:
                continue
        _add(out, text, start, end)
        start = end
    _add(out, text, start, len(text))
    return out


def _add(out: list[tuple[int, int]], text: str, s: int, e: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e - s >= 4:
        out.append((s, e))


def _words(s: str) -> list[str]:
    if _CJK_RE.search(s):
        chars = [c for c in s if c.isalnum()]
        return [a + b for a, b in zip(chars, chars[1:], strict=False)]  # character bigrams
    return [w.lower() for w in _WORD_RE.findall(s) if len(w) > 1]


def summarize(text: str, mention_starts: list[int] | None = None, max_sentences: int = MAX_SENTENCES) -> str:
    """The summary of one text; `mention_starts` are offsets of city mentions in it."""
    sents = split_sentences(text[:50_000] if text else "")
    if not sents:
        return (text or "").strip()[:MAX_CHARS]
    if len(sents) <= max_sentences:
        chosen = list(range(len(sents)))
    else:
        freq = Counter(w for s, e in sents for w in set(_words(text[s:e])))
        mentions = mention_starts or []
        scores = []
        for i, (s, e) in enumerate(sents):
            ws = set(_words(text[s:e]))
            central = sum(math.log1p(freq[w]) for w in ws) / (1.0 + math.log1p(len(ws)))
            city = 1.5 if any(s <= m < e for m in mentions) else 1.0
            scores.append(central * city * (1.0 - 0.3 * i / len(sents)))
        rest = sorted(range(1, len(sents)), key=lambda i: -scores[i])
        chosen = sorted([0] + rest[: max_sentences - 1])
    out = []
    total = 0
    for i in chosen:
        s, e = sents[i]
        piece = text[s:e]
        if out and total + len(piece) > MAX_CHARS:
            break
        out.append(piece)
        total += len(piece)
    joiner = "" if _CJK_RE.search(out[0]) else " "
    return joiner.join(out)[: MAX_CHARS * 2]


def apply_summary(article: Article) -> Article:
    """Set `summary` (kept if the source already gave one and there is no text to summarise)."""
    starts = [m.start for m in article.mentions if m.field != "title"]
    summary = summarize(article.text, starts) if article.text else (article.summary or article.title)
    return article.model_copy(update={
        "summary": summary,
        "enrichment": {**article.enrichment, "summary": METHOD},
    })
