"""The user query syntax shared by every backend, parsed into a small tree.

    ngap lut                 both words (diacritics ignored)
    "ngập lụt" OR "triều cường"   phrases, OR
    bão -"Yagi"  /  bão NOT Yagi  exclusion
    (kẹt xe OR ùn tắc) quận*      groups and prefixes
    ="Hòa Bình"              exact diacritics for this phrase

Malformed input raises `QuerySyntaxError` with a message fit to show the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from duluan.errors import QuerySyntaxError
from duluan.text import fold, has_diacritics, normalize_text, split_cjk

_TOKEN_SPLIT = re.compile(r"[^\w]+", re.UNICODE)


@dataclass(frozen=True)
class Term:
    """A word or phrase: `tokens` are folded (diacritic-free) index tokens; `exact` keeps the
    NFC text when diacritics must match."""

    tokens: tuple[str, ...]
    phrase: bool = False
    prefix: bool = False
    exact: str | None = None


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Term | And | Or | Not


def index_tokens(text: str) -> list[str]:
    """The tokens an index sees for `text`: folded, CJK split into characters."""
    return [t for t in _TOKEN_SPLIT.split(split_cjk(fold(normalize_text(text)))) if t]


def _lex(q: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append((c, c, i))
            i += 1
        elif c == '"' or (c in "=-" and i + 1 < n and q[i + 1] == '"') or (q.startswith('-="', i)):
            start = i
            mods = ""
            while q[i] in "=-":
                mods += q[i]
                i += 1
            j = q.find('"', i + 1)
            if j < 0:
                raise QuerySyntaxError(
                    f"Truy vấn thiếu dấu ngoặc kép đóng (unbalanced quote) ở vị trí {start + 1}: {q[start:start + 30]!r}"
                )
            out.append(("phrase", mods + q[i + 1 : j], start))
            i = j + 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in '()"':
                j += 1
            word = q[i:j]
            if word in ("OR", "AND", "NOT", "|", "&&", "||"):
                kind = {"|": "OR", "||": "OR", "&&": "AND"}.get(word, word)
                out.append((kind, word, i))
            else:
                out.append(("word", word, i))
            i = j
    return out


class _Parser:
    def __init__(self, q: str, exact_all: bool):
        self.q = q
        self.toks = _lex(q)
        self.pos = 0
        self.exact_all = exact_all

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def err(self, msg: str, at: int | None = None) -> QuerySyntaxError:
        where = f" ở vị trí {at + 1}" if at is not None else ""
        return QuerySyntaxError(f"Truy vấn không hợp lệ{where}: {msg}")

    def parse(self) -> Node | None:
        if not self.toks:
            return None
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:
            if tok[0] == ")":
                raise self.err("thừa dấu ngoặc đóng ')' (unbalanced parenthesis)", tok[2])
            raise self.err(f"không hiểu {tok[1]!r}", tok[2])
        return node

    def parse_or(self) -> Node | None:
        items = [self.parse_and()]
        while (tok := self.peek()) is not None and tok[0] == "OR":
            self.pos += 1
            if self.peek() is None or self.peek()[0] in ("OR", "AND", ")"):  # type: ignore[index]
                raise self.err("thiếu từ sau OR (operator without operand)", tok[2])
            items.append(self.parse_and())
        kept = [i for i in items if i is not None]
        if len(items) > 1 and len(kept) < len(items):
            raise self.err("một vế của OR không có từ nào tìm được")
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(tuple(kept))

    def parse_and(self) -> Node | None:
        items: list[Node] = []
        first = True
        while (tok := self.peek()) is not None and tok[0] not in ("OR", ")"):
            if tok[0] == "AND":
                if first:
                    raise self.err("AND đứng đầu, thiếu từ phía trước (operator without operand)", tok[2])
                self.pos += 1
                nxt = self.peek()
                if nxt is None or nxt[0] in ("OR", "AND", ")"):
                    raise self.err("thiếu từ sau AND (operator without operand)", tok[2])
                continue
            node = self.parse_unary()
            first = False
            if node is not None:
                items.append(node)
        if not items:
            tok = self.peek()
            if tok is not None and tok[0] == "OR":
                raise self.err("OR đứng đầu, thiếu từ phía trước (operator without operand)", tok[2])
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node | None:
        tok = self.peek()
        assert tok is not None
        kind, val, at = tok
        if kind == "NOT":
            self.pos += 1
            nxt = self.peek()
            if nxt is None or nxt[0] in ("OR", "AND", ")"):
                raise self.err("thiếu từ sau NOT (operator without operand)", at)
            inner = self.parse_unary()
            return Not(inner) if inner is not None else None
        if kind == "(":
            self.pos += 1
            inner = self.parse_or()
            close = self.peek()
            if close is None or close[0] != ")":
                raise self.err("thiếu dấu ngoặc đóng ')' (unbalanced parenthesis)", at)
            self.pos += 1
            return inner
        self.pos += 1
        if kind == "phrase":
            neg = val.startswith("-")
            mods = re.match(r"^[=-]*", val).group(0)  # type: ignore[union-attr]
            body = val[len(mods) :]
            term = self.make_term(body, phrase=True, exact="=" in mods)
            return Not(term) if (neg and term is not None) else term
        # a bare word
        neg = val.startswith("-") and len(val) > 1
        if neg:
            val = val[1:]
        exact = val.startswith("=") and len(val) > 1
        if exact:
            val = val[1:]
        prefix = val.endswith("*") and len(val.rstrip("*")) > 0
        term = self.make_term(val.rstrip("*"), phrase=False, exact=exact, prefix=prefix)
        if term is None:
            return None
        return Not(term) if neg else term

    def make_term(self, text: str, phrase: bool, exact: bool, prefix: bool = False) -> Term | None:
        toks = index_tokens(text)
        if not toks:
            return None
        exact_text = normalize_text(text).lower().strip() if (exact or self.exact_all) else None
        if exact_text is not None and not has_diacritics(exact_text):
            exact_text = None  # nothing to be exact about: no diacritics
        return Term(tuple(toks), phrase=phrase or len(toks) > 1, prefix=prefix, exact=exact_text)


def parse_query(q: str | None, exact_all: bool = False) -> Node | None:
    """Parse a user query; None when it holds no searchable word. Raises QuerySyntaxError."""
    if q is None or not q.strip():
        return None
    if len(q) > 2000:
        raise QuerySyntaxError("Truy vấn quá dài (query longer than 2,000 characters)")
    node = _Parser(q, exact_all).parse()
    if node is not None and _only_negative(node):
        raise QuerySyntaxError("Truy vấn chỉ có từ loại trừ (a query cannot only exclude words)")
    return node


def _only_negative(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(_only_negative(i) for i in node.items)
    if isinstance(node, Or):
        return any(_only_negative(i) for i in node.items)
    return False


def exact_phrases(node: Node | None) -> list[str]:
    """Exact-diacritics texts that must appear (positive, AND-ed positions only)."""
    if node is None:
        return []
    if isinstance(node, Term):
        return [node.exact] if node.exact else []
    if isinstance(node, And):
        return [p for i in node.items for p in exact_phrases(i)]
    return []


def positive_terms(node: Node | None) -> list[Term]:
    """Terms that count toward a match (for highlighting)."""
    if node is None or isinstance(node, Not):
        return []
    if isinstance(node, Term):
        return [node]
    return [t for i in node.items for t in positive_terms(i)]
