"""Relevance to the city: find its names in every language and score how much an article is
about it.

The city file (`config/cities/<city>.yaml`) lists names per language, former names, districts,
landmarks, officials, phrases that look like the city but are not (the person Hồ Chí Minh,
the Ho Chi Minh Trail…) and brand names that are weak evidence (Bia Saigon, Saigontourist).
Latin and Cyrillic names are matched diacritic- and case-insensitively on word boundaries,
with flexible separators ("TP.HCM" = "TP. HCM" = "TP HCM"); names in scripts without word
boundaries (Chinese, Japanese, Thai, Khmer, Lao) are matched as substrings. The score weighs
each mention by kind (name, district, landmark…) and position (title, lead, body) with
diminishing returns, so one passing mention deep in a long text stays below the threshold.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from duluan.models import Article, Mention
from duluan.settings import CityConfig
from duluan.text import fold, normalize_text

METHOD = "aliases+lr@2"

# Evidence per mention, by kind of name and by position.
KIND_WEIGHT = {"name": 1.0, "former": 0.9, "official": 1.0, "landmark": 0.7, "district": 0.55, "weak": 0.1}
FIELD_WEIGHT = {"title": 2.5, "lead": 1.6, "body": 1.0}
SCALE = 1.6  # relevance = 1 - exp(-evidence / SCALE)
LEAD_CHARS = 400
MODEL_PATH = Path(__file__).parent / "models" / "relevance_lr.json"
LIST_GAP = 6  # characters between two place names in a list ("Hà Nội, TP.HCM")
# (folded) words before a mention that make it the place of the event, or a city body
_LOCATIVE_RE = re.compile(r"(?<!\w)(?:tai|o|in|at|a|en|dia ban|khu vuc|den|toi)\W*$")
_INSTITUTION_RE = re.compile(
    r"(?<!\w)(?:ubnd|hdnd|so|thanh uy|cong an|tand|vksnd|toa an|benh vien|bv|truong|dai hoc|dh|cuc|chi cuc|hoi|ban|"
    r"doan|chu tich|pho chu tich|bi thu|giam doc|people's committee|police|department|court|hospital)\W*$"
)

_NOBOUNDARY_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1780-\u17ff]")


# Other places of Viet Nam (and their common English forms): an article that names them as
# often as the city is a national round-up, not a story about the city. Names that are the
# configured city's own aliases are left out when the matcher is built.
OTHER_PLACES = (
    "Hà Nội", "Hanoi", "Thủ đô", "Đà Nẵng", "Da Nang", "Hải Phòng", "Hai Phong", "Cần Thơ", "Can Tho", "Huế",
    "Thừa Thiên Huế", "Nha Trang", "Khánh Hòa", "Đà Lạt", "Lâm Đồng", "Vũng Tàu", "Bà Rịa", "Biên Hòa", "Đồng Nai",
    "Bình Dương", "Long An", "Tây Ninh", "Bình Phước", "Tiền Giang", "Mỹ Tho", "Bến Tre", "Vĩnh Long", "Trà Vinh",
    "Đồng Tháp", "An Giang", "Kiên Giang", "Phú Quốc", "Hậu Giang", "Sóc Trăng", "Bạc Liêu", "Cà Mau", "Bình Thuận",
    "Phan Thiết", "Ninh Thuận", "Phú Yên", "Bình Định", "Quy Nhơn", "Quảng Ngãi", "Quảng Nam", "Hội An", "Quảng Trị",
    "Quảng Bình", "Hà Tĩnh", "Nghệ An", "Thanh Hóa", "Ninh Bình", "Nam Định", "Thái Bình", "Hà Nam",
    "Hưng Yên", "Hải Dương", "Quảng Ninh", "Hạ Long", "Bắc Ninh", "Bắc Giang", "Vĩnh Phúc", "Phú Thọ", "Thái Nguyên",
    "Lạng Sơn", "Cao Bằng", "Hà Giang", "Lào Cai", "Yên Bái", "Tuyên Quang", "Sơn La", "Điện Biên", "Lai Châu",
    "Hòa Bình", "Bắc Kạn", "Kon Tum", "Gia Lai", "Đắk Lắk", "Đắk Nông", "Buôn Ma Thuột", "Hà Tây", "Hà Đông",
)


@dataclass(frozen=True)
class _Alias:
    text: str
    kind: str
    ascii_only: bool = False  # a plain-ASCII name matches only plain-ASCII text
    words: tuple[str, ...] = ()  # lower-case words with diacritics, for the exact check


def fold_same_length(text: str) -> str:
    """`fold` that keeps every character at its offset (needed to map matches back)."""
    f = fold(text)
    if len(f) == len(text):
        return f
    out = []
    for ch in text:
        c = fold(ch)
        out.append(c if len(c) == 1 else (c[:1] if c else " "))
    return "".join(out)


def _exact_words(name: str) -> tuple[str, ...]:
    """Words of a Latin name with diacritics (empty for ASCII, Cyrillic and CJK names)."""
    if name.isascii() or _NOBOUNDARY_RE.search(name) or any("\u0400" <= c <= "\u04ff" for c in name):
        return ()
    return tuple(_WORD_RE.findall(normalize_text(name).lower()))


def _is_cyrillic(word: str) -> bool:
    return "\u0400" <= word[0] <= "\u04ff"


class PhraseIndex:
    """Phrases looked up by their folded word sequence, so that any separator run between the
    words matches ("TP.HCM" = "TP. HCM" = "TP HCM") and one pass over the text finds them all.
    Phrases in scripts without word boundaries are found as substrings; a Russian word may
    carry a case ending of up to three letters (Хошимине, Сайгона)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, ...], list[object]] = {}
        self.firsts: set[str] = set()
        self.prefixes: set[tuple[str, ...]] = set()
        self.maxlen = 1
        self.substrings: list[tuple[str, object]] = []

    def add(self, phrase: str, payload: object) -> None:
        folded = fold(phrase).strip()
        if not folded:
            return
        if _NOBOUNDARY_RE.search(folded):
            self.substrings.append((folded, payload))
            return
        key = tuple(_WORD_RE.findall(folded))
        if not key:
            return
        self.by_key.setdefault(key, []).append(payload)
        self.firsts.add(key[0])
        for k in range(1, len(key)):
            self.prefixes.add(key[:k])
        self.maxlen = max(self.maxlen, len(key))

    @staticmethod
    def _variants(word: str) -> list[str]:
        if word and word[0] >= "\u0400" and _is_cyrillic(word):
            return [word] + [word[:-j] for j in (1, 2, 3) if len(word) - j >= 3]
        return [word]

    def find(self, folded: str, toks: list[tuple[str, int, int]]) -> list[tuple[int, int, object]]:
        """(start, end, payload) of every phrase occurrence (overlapping ones included)."""
        out: list[tuple[int, int, object]] = []
        n = len(toks)
        words = [t[0] for t in toks]
        for i in range(n):
            first = words[i]
            if first not in self.firsts:
                if first[0] < "\u0400" or not any(v in self.firsts for v in self._variants(first)[1:]):
                    continue
            for size in range(1, min(self.maxlen, n - i) + 1):
                head = tuple(words[i : i + size - 1])
                if size > 1 and head not in self.prefixes:
                    break
                for last in self._variants(words[i + size - 1]):
                    payloads = self.by_key.get((*head, last))
                    if payloads:
                        out.extend((toks[i][1], toks[i + size - 1][2], p) for p in payloads)
                        break
        for sub, payload in self.substrings:
            start = folded.find(sub)
            while start != -1:
                out.append((start, start + len(sub), payload))
                start = folded.find(sub, start + 1)
        return out


_WORD_RE = re.compile(r"\w+", re.UNICODE)


class CityMatcher:
    """Built once per city; `mentions` finds the city in a title and text, `score` rates it."""

    def __init__(self, city: CityConfig):
        self.city = city
        self.names = PhraseIndex()
        self.kinds: dict[str, str] = {}
        seen: set[str] = set()

        def add(names: list[str], kind: str) -> None:
            for n in names:
                key = " ".join(_WORD_RE.findall(fold(n))) or fold(n).strip()
                if not key or key in seen:
                    continue
                seen.add(key)
                self.kinds[key] = kind
                self.names.add(n, _Alias(n, kind, n.isascii(), _exact_words(n)))

        add(city.officials, "official")
        for names in city.aliases.values():
            add(names, "name")
        add(city.former_names, "former")
        add(city.landmarks, "landmark")
        add(city.districts, "district")
        self.exclusions = PhraseIndex()
        for e in city.exclusions:
            self.exclusions.add(e, "x")
        self.weak = PhraseIndex()
        for w in city.weak:
            self.weak.add(w, "w")
        self.others = PhraseIndex()
        for o in OTHER_PLACES:
            key = " ".join(_WORD_RE.findall(fold(o)))
            if key not in seen:
                self.others.add(o, "o")
        self.model = RelevanceModel.load(MODEL_PATH) if MODEL_PATH.exists() else None

    def find_in(self, text: str) -> list[tuple[int, int, _Alias, bool]]:
        """(start, end, alias, weak) of every city mention in one text, longest match first,
        without the ones inside an exclusion phrase."""
        if not text:
            return []
        folded = fold_same_length(text)
        toks = [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(folded)]
        found = []
        for s, e, a in self.names.find(folded, toks):
            assert isinstance(a, _Alias)
            span = text[s:e]
            if a.ascii_only and not span.isascii():
                continue
            # a name with diacritics matches text typed without them ("Hoc Mon"), but in text
            # with diacritics they must agree: "học môn" is not Hóc Môn, "cử chỉ" not Củ Chi
            if a.words and not span.isascii() and tuple(_WORD_RE.findall(span.lower())) != a.words:
                continue
            found.append((s, e, a))
        if not found:
            return []
        found.sort(key=lambda t: (t[0], -(t[1] - t[0])))
        kept: list[tuple[int, int, _Alias]] = []
        last_end = -1
        for s, e, a in found:
            if s >= last_end:
                kept.append((s, e, a))
                last_end = e
        excl = [(s, e) for s, e, _ in self.exclusions.find(folded, toks)]
        weak = [(s, e) for s, e, _ in self.weak.find(folded, toks)]
        out = []
        for s, e, a in kept:
            if any(xs < e and s < xe for xs, xe in excl):
                continue
            is_weak = any(ws < e and s < we for ws, we in weak)
            out.append((s, e, a, is_weak))
        return out

    def other_spans(self, text: str) -> list[tuple[int, int]]:
        """Where other places of the country are named (national round-ups name many)."""
        if not text:
            return []
        folded = fold_same_length(text)
        toks = [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(folded)]
        out = []
        for s, e, _ in self.others.find(folded, toks):
            span = text[s:e]
            if span.isascii() or span[:1].isupper():
                out.append((s, e))
        return out

    def count_others(self, text: str) -> int:
        return len(self.other_spans(text))

    def mentions(self, title: str, text: str) -> list[Mention]:
        """Mentions in the title (offsets into the title) and in the text (lead/body)."""
        out: list[Mention] = []
        for s, e, _a, weak in self.find_in(title):
            out.append(Mention(alias=title[s:e], field="title", start=s, end=e, weak=weak))
        lead_end = lead_length(text)
        for s, e, _a, weak in self.find_in(text):
            field = "lead" if s < lead_end else "body"
            out.append(Mention(alias=text[s:e], field=field, start=s, end=e, weak=weak))
        return out

    def kind_of(self, alias_text: str) -> str:
        """The kind (name, district, landmark…) of a matched alias text."""
        key = " ".join(_WORD_RE.findall(fold(alias_text))) or fold(alias_text).strip()
        if key in self.kinds:
            return self.kinds[key]
        for k, kind in self.kinds.items():  # inflected Russian forms
            if key.startswith(k):
                return kind
        return "name"

    def features(self, mentions: list[Mention], title: str, text: str,
                 others: dict[str, list[tuple[int, int]]] | None = None) -> dict[str, float]:
        """What the relevance model reads: mentions per field and kind, their evidence with
        diminishing returns, how early the city comes, how much other places compete, and the
        words around each mention (a location "tại TP.HCM", a city body "UBND TP.HCM", or one
        name in a list "Hà Nội, TP.HCM và Đà Nẵng")."""
        others = others or {}
        text_length = len(text)
        per_field: dict[str, list[float]] = {"title": [], "lead": [], "body": []}
        weak = 0
        first = 1.0
        listed = located = institution = 0
        for m in mentions:
            if m.weak:
                weak += 1
                continue
            per_field[m.field].append(KIND_WEIGHT[self.kind_of(m.alias)])
            src, spans = (title, others.get("title", [])) if m.field == "title" else (text, others.get("text", []))
            if m.field == "title":
                first = 0.0
            elif text_length:
                first = min(first, m.start / max(text_length, 1))
            if any(abs(s - m.end) <= LIST_GAP or abs(m.start - e) <= LIST_GAP for s, e in spans):
                listed += 1
            before = fold(src[max(0, m.start - 28) : m.start])
            if _LOCATIVE_RE.search(before[-14:]):
                located += 1
            if _INSTITUTION_RE.search(before):
                institution += 1
        evidence = 0.0
        for field, weights in per_field.items():
            weights.sort(reverse=True)
            # the n-th mention in a field counts 1/n: many repetitions saturate
            evidence += FIELD_WEIGHT[field] * sum(w / (i + 1) for i, w in enumerate(weights))
        strong = sum(len(v) for v in per_field.values())
        n_others = len(others.get("title", [])) + len(others.get("text", []))
        return {
            "evidence": evidence,
            "title": float(bool(per_field["title"])),
            "lead": math.log1p(len(per_field["lead"])),
            "body": math.log1p(len(per_field["body"])),
            "weak": math.log1p(weak),
            "first": first,
            "density": 1000.0 * strong / max(text_length, 300),
            "others": math.log1p(n_others),
            "share": strong / (strong + n_others) if strong + n_others else 0.0,
            "listed": listed / strong if strong else 0.0,
            "located": located / strong if strong else 0.0,
            "institution": institution / strong if strong else 0.0,
        }

    def score(self, mentions: list[Mention], title: str = "", text: str = "",
              others: dict[str, list[tuple[int, int]]] | None = None) -> float:
        """Relevance 0..1: the trained model over `features` when shipped (see
        enrichment/training/train_relevance.py), else saturating evidence."""
        if not mentions:
            return 0.0
        feats = self.features(mentions, title, text, others)
        if self.model is not None:
            return round(self.model.predict(feats), 4)
        return round(1.0 - math.exp(-feats["evidence"] / SCALE), 4)

    def relevance(self, title: str, text: str) -> tuple[list[Mention], float]:
        """Mentions and relevance of one title + text."""
        mentions = self.mentions(title, text)
        if not mentions:
            return mentions, 0.0
        others = {"title": self.other_spans(title), "text": self.other_spans(text)}
        return mentions, self.score(mentions, title, text, others)


class RelevanceModel:
    """Logistic regression over `CityMatcher.features`, stored as JSON (weights per feature)."""

    def __init__(self, weights: dict[str, float], bias: float, version: str = "1"):
        self.weights = weights
        self.bias = bias
        self.version = version

    @classmethod
    def load(cls, path: Path) -> RelevanceModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({k: float(v) for k, v in data["weights"].items()}, float(data["bias"]), str(data.get("version", "1")))

    def predict(self, feats: dict[str, float]) -> float:
        z = self.bias + sum(w * feats.get(k, 0.0) for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def lead_length(text: str) -> int:
    """Where the lead ends: the first paragraph, at most LEAD_CHARS characters further."""
    if not text:
        return 0
    nl = text.find("\n", 40)
    end = nl if nl != -1 else len(text)
    return min(end, LEAD_CHARS) if end > 0 else min(len(text), LEAD_CHARS)


def apply_relevance(matcher: CityMatcher, article: Article) -> Article:
    """Set `mentions` and `relevance`; records the method."""
    mentions, relevance = matcher.relevance(article.title, article.text)
    return article.model_copy(update={
        "mentions": mentions,
        "relevance": relevance,
        "enrichment": {**article.enrichment, "relevance": f"{METHOD}:{matcher.city.id}"},
    })
