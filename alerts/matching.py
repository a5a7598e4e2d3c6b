"""What rules look at, computed once per article and only when a rule needs it: folded index
tokens (the same tokens the index sees, so a rule query means what a search means), and the
in-memory evaluation of a parsed query.

Tokenising is the cost of rule evaluation, so Latin-script text takes a fast path (NFD, drop the
combining marks by an ASCII encode, one byte-table pass for case and punctuation) that gives the
same tokens as `index.query_parser.index_tokens`; other scripts take the general path."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from duluan.models import Article
from duluan.text import fold, split_cjk
from index.query_parser import And, Node, Not, Or, Term

_WORD_SPLIT = re.compile(r"[^\w]+", re.UNICODE)
# ASCII letters/digits/underscore kept (lower-cased), everything else a space
_BYTE_TABLE = bytes((ord(chr(c).lower()) if (chr(c).isalnum() or c == 0x5F) else 0x20) for c in range(128)) + b" " * 128
# non-ASCII characters that are not word characters (punctuation, symbols, spaces): become spaces
_PUNCT_RE = re.compile("[" + "".join(
    re.escape(chr(cp)) for cp in range(0x80, 0x3000)
    if not re.match(r"\w", chr(cp)) and unicodedata.category(chr(cp))[0] in "PSZC"
) + "]")
# after NFD, anything left that is neither ASCII nor a combining mark needs the general path
_OTHER_RE = re.compile(r"[^\x00-\x7f\u0300-\u036f]")


def fast_tokens(text: str) -> list[str]:
    """Folded word tokens of `text`, equal to `index_tokens(text)`."""
    if text.isascii():
        return text.encode("ascii").translate(_BYTE_TABLE).decode("ascii").split()
    t = " ".join(_PUNCT_RE.split(text.replace("đ", "d").replace("Đ", "D")))
    nfd = unicodedata.normalize("NFD", t)
    if _OTHER_RE.search(nfd) is None:
        return nfd.encode("ascii", "ignore").translate(_BYTE_TABLE).decode("ascii").split()
    # other scripts: split first, then fold each distinct word once (cached); folding ignores
    # tone-mark placement, so normalize_text is not needed for the tokens
    words = _WORD_SPLIT.split(split_cjk(unicodedata.normalize("NFC", text)))
    return [w if w.isascii() and w.islower() else _fold_word(w) for w in words if w]


@lru_cache(maxsize=100_000)
def _fold_word(word: str) -> str:
    return fold(word)


@dataclass
class ArticleFeatures:
    """One article as the rules see it; tokens and exact text are computed on first use."""

    article: Article
    kind: str
    topics: frozenset[str]
    sentiment: int | None
    relevant: bool
    _tokens: frozenset[str] | None = field(default=None, repr=False)
    _joined: str | None = field(default=None, repr=False)
    _exact: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, article: Article, relevance_threshold: float = 0.5) -> ArticleFeatures:
        return cls(article=article, kind=str(article.source_kind.value if hasattr(article.source_kind, "value")
                                             else article.source_kind),
                   topics=frozenset(article.effective_topics()), sentiment=article.effective_sentiment(),
                   relevant=article.effective_relevant(relevance_threshold))

    def _tokenise(self) -> None:
        toks = fast_tokens(self.article.title + "\n" + self.article.text)
        self._tokens = frozenset(toks)
        self._joined = " " + " ".join(toks) + " "

    @property
    def tokens(self) -> frozenset[str]:
        if self._tokens is None:
            self._tokenise()
        return self._tokens  # type: ignore[return-value]

    @property
    def joined(self) -> str:
        """" tok tok tok " for phrase and prefix checks."""
        if self._joined is None:
            self._tokenise()
        return self._joined  # type: ignore[return-value]

    def exact(self) -> str:
        """The text with its diacritics, for `="…"` terms. Articles reach the engine normalised by
        the pipeline (NFC, one tone placement), so NFC + lower-case is enough here."""
        if self._exact is None:
            self._exact = unicodedata.normalize("NFC", self.article.title + "\n" + self.article.text).lower()
        return self._exact


def term_matches(t: Term, f: ArticleFeatures) -> bool:
    if t.prefix:
        head = " " + " ".join(t.tokens)
        hit = head in f.joined
    elif len(t.tokens) == 1:
        hit = t.tokens[0] in f.tokens
    else:
        hit = all(tok in f.tokens for tok in t.tokens) and (" " + " ".join(t.tokens) + " ") in f.joined
    if hit and t.exact is not None:
        hit = t.exact in f.exact()
    return hit


def node_matches(node: Node, f: ArticleFeatures) -> bool:
    """Evaluate a parsed query on one article in memory (same semantics as the index)."""
    if isinstance(node, Term):
        return term_matches(node, f)
    if isinstance(node, And):
        return all(node_matches(n, f) for n in node.items)
    if isinstance(node, Or):
        return any(node_matches(n, f) for n in node.items)
    if isinstance(node, Not):
        return not node_matches(node.item, f)
    return False
