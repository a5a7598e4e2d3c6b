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
A former name right after "tờ", "báo", "tạp chí" is a newspaper's title ("tờ Sài Gòn thứ bảy"):
weak evidence, like the brands of the city file.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from duluan.models import Article, Mention
from duluan.settings import CityConfig
from duluan.text import fold, normalize_text

METHOD = "aliases+lr@3"

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

# (folded) public bodies anywhere earlier in the same clause: "Bệnh viện Nhi đồng 2, TP HCM"
_BODY_RE = re.compile(
    r"(?<!\w)(?:ubnd|hdnd|cong an|thanh uy|quan uy|benh vien|toa an|tand|vksnd|vien kiem sat|chi cuc|doi canh sat|"
    r"phong canh sat|so (?:gd|giao duc|y te|gtvt|giao thong|tai nguyen|tn|xay dung|ke hoach|khdt|cong thuong|lao dong|"
    r"ld|van hoa|vh|tai chinh|noi vu|tu phap|thong tin|tt|ngoai vu|du lich|nong nghiep|khoa hoc|kh)|"
    r"people's committee|department of|police|hospital|court)(?!\w)"
)
# (folded) a contact address, a head office, a home town: the city is where someone is from
_PASSING_RE = re.compile(
    r"(?<!\w)(?:dia chi|lien he|dien thoai|(?:dt|tel|fax)\s*:|email|que|que quan|sinh ra|nguoi goc|tru so|"
    r"van phong dai dien|chi nhanh|phuong|address|based in|headquartered|born in|native of|hometown)(?!\w)"
)
# a house number and street just before the mention ("233 Nguyễn Văn Luông, phường 11, quận 6")
_ADDRESS_RE = re.compile(r"(?<![\w.,/-])\d{1,4}[A-Za-z]?(?:/\d+[A-Za-z]?)*\s+(?:đường\s+)?[A-ZĐ]\w+")
# (folded) the place of an event a few words back in the same clause: "khai mạc tại Trung tâm văn
# hóa Pháp, TP HCM", "diễn ra ở quận 6"
_LOCATIVE_WIDE_RE = re.compile(r"(?<!\w)(?:tai|o|in|at|en|a|dien ra|to chuc|khai mac)(?!\w)")
_CLAUSE_SPLIT_RE = re.compile(r"[!?;\n]|\.\s")
_SENTENCE_RE = re.compile(r"(?<=[.!?…])[\"”'’)]*\s+(?=[^\sa-zđà-ỹ])|\n+")
_JOIN_RE = re.compile(r"[\s,()\-–]*")

# "TP", "thành phố", "the city" standing for a city named before ("UBND TP", "Thành phố đã chi…"):
# Vietnamese papers name "TP.HCM" once and then write "TP" or "thành phố"
_ANAPHOR_RE = re.compile(r"(?<![\w.])(?:TP|Tp|[Tt]hành phố|[Tt]he city)(?!\w|\.\w)")
# (not folded) a generic "city" rather than one city: "các thành phố lớn", "a city", "thành phố trực thuộc"
_GENERIC_BEFORE_RE = re.compile(r"(?<!\w)(?:các|những|nhiều|mọi|hai|ba|một|cả|mỗi|\d+|many|other|every|a)\W*$", re.I)
_GENERIC_AFTER_RE = re.compile(
    r"\W*(?:lớn|trực thuộc|thuộc|khác|biển|cảng|loại|trẻ|kiểu|thông minh|du lịch|xanh|đáng sống|mới)(?!\w)")
_OF_NAME_RE = re.compile(r"\s+of\s+(?=[A-Z])")  # "the city of Hue": a named city
# (folded) a newspaper or magazine title before a former name: "tờ Sài Gòn thứ bảy", "tạp chí Saigon…"
_PRESS_RE = re.compile(r"(?<!\w)(?:to|bao|tap chi|tuan bao|nhat bao|newspaper|magazine)\W{0,3}$")

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
    capitalised: bool = False  # the name's last word is a capitalised proper name ("Hóc Môn")


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


@functools.lru_cache(maxsize=4)
def _folded_tokens(text: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The folded text and its words with offsets; cached because the city's names and the
    other places are looked up in the same text one after the other (callers must not modify
    the list)."""
    folded = fold_same_length(text)
    return folded, [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(folded)]


def _is_accented(text: str) -> bool:
    """Vietnamese typed with diacritics (a quarter of its words or more carry one): then a
    plain-ASCII span is not a Vietnamese name typed without them."""
    words = _WORD_RE.findall(text[:3000])
    return bool(words) and sum(1 for w in words if not w.isascii()) >= 0.25 * len(words)


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
                last = _WORD_RE.findall(n)[-1:] or [""]
                self.names.add(n, _Alias(n, kind, n.isascii(), _exact_words(n), last[0][:1].isupper()))

        self.former_keys = {" ".join(_WORD_RE.findall(fold(n))) for n in city.former_names}
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
        folded, toks = _folded_tokens(text)
        found = []
        accented: bool | None = None
        for s, e, a in self.names.find(folded, toks):
            assert isinstance(a, _Alias)
            span = text[s:e]
            if a.ascii_only and not span.isascii():
                continue
            if a.words:
                # a name with diacritics matches text typed without them ("Hoc Mon"), but in text
                # with diacritics they must agree: "học môn" is not Hóc Môn, "cử chỉ" not Củ Chi,
                # "chuyên gia dinh dưỡng" not Gia Định; and a proper name is capitalised there
                # ("chu kỳ hóc-môn" is a hormone, not Hóc Môn)
                if span.isascii():
                    if accented is None:
                        accented = _is_accented(text)
                    if accented:
                        continue
                else:
                    span_words = _WORD_RE.findall(span)
                    if tuple(w.lower() for w in span_words) != a.words:
                        continue
                    if a.capitalised and span_words[-1][:1].islower():
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
            # a former name as a newspaper's title ("tờ Sài Gòn thứ bảy"): a brand, weak evidence
            if not is_weak and " ".join(_WORD_RE.findall(folded[s:e])) in self.former_keys \
                    and _PRESS_RE.search(folded[max(0, s - 16) : s]):
                is_weak = True
            out.append((s, e, a, is_weak))
        return out

    def other_spans(self, text: str) -> list[tuple[int, int]]:
        """Where other places of the country are named (national round-ups name many)."""
        if not text:
            return []
        folded, toks = _folded_tokens(text)
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
            out.append(Mention(alias=text[s:e], field="lead" if s < lead_end else "body", start=s, end=e, weak=weak))
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

    def groups(self, mentions: list[Mention], title: str, text: str) -> list[tuple[str, int, int, list[str]]]:
        """Strong mentions merged into place references: (field, start, end, kinds). Mentions
        separated only by commas, spaces, dashes or brackets ("Q.3, TP.HCM", "quận 10 (TP HCM)")
        are one reference."""
        out: list[tuple[str, int, int, list[str]]] = []
        for m in sorted((m for m in mentions if not m.weak), key=lambda m: (m.field == "title", m.start)):
            field = "title" if m.field == "title" else "text"
            if out:
                f0, s0, e0, kinds = out[-1]
                src = title if field == "title" else text
                if (f0 == "title") == (field == "title") and 0 <= m.start - e0 <= LIST_GAP \
                        and _JOIN_RE.fullmatch(src[e0 : m.start]):
                    out[-1] = (f0, s0, max(e0, m.end), [*kinds, self.kind_of(m.alias)])
                    continue
            out.append((m.field, m.start, m.end, [self.kind_of(m.alias)]))
        return out

    def anaphora(self, mentions: list[Mention], title: str, text: str,
                 others: dict[str, list[tuple[int, int]]]) -> list[int]:
        """Offsets in the text (-1 for the title) of "TP", "thành phố", "the city" that stand for
        the city: the nearest place named before them (title first, then text) is the city, not
        another place ("TP Đà Nẵng … TP" is Đà Nẵng). Generic uses ("các thành phố lớn") and
        "TP"/"thành phố" followed by a name (another city) are not counted."""
        events: list[tuple[int, int, str]] = []
        for order, field, src in ((0, "title", title), (1, "text", text)):
            spans = [(m.start, m.end) for m in mentions if not m.weak and (m.field == "title") == (field == "title")]
            events += [(order, s, "city") for s, _ in spans]
            events += [(order, s, "other") for s, _ in others.get(field, [])]
            for m in _ANAPHOR_RE.finditer(src):
                s, e = m.span()
                if any(cs <= s < ce for cs, ce in spans):
                    continue  # the start of the city's own name ("TP.HCM", "thành phố Thủ Đức")
                rest = src[e : e + 40]
                nxt = rest.lstrip(" .")[:1]
                if nxt.isupper() or nxt.isdigit() or _OF_NAME_RE.match(rest):
                    events.append((order, s, "other"))  # another city: "TP Đà Nẵng", "the city of Hue"
                    continue
                if _GENERIC_BEFORE_RE.search(src[max(0, s - 12) : s]) or _GENERIC_AFTER_RE.match(rest):
                    continue
                events.append((order, s, "ana"))
        events.sort()
        out: list[int] = []
        last = ""
        for order, s, kind in events:
            if kind != "ana":
                last = kind
            elif last == "city":
                out.append(s if order else -1)
        return out

    def features(self, mentions: list[Mention], title: str, text: str,
                 others: dict[str, list[tuple[int, int]]] | None = None) -> dict[str, float]:
        """What the relevance model reads. Mentions next to each other ("Q.3, TP.HCM") are one
        place reference; per reference: its field and kind, with diminishing returns, and the
        words around it — a location ("tại TP.HCM"), a city body ("UBND TP.HCM", "Bệnh viện
        Nhi đồng 2, TP HCM"), a parenthesis ("(N.Ngân, TP.HCM)": a reader's or an author's
        address), a contact address or home town, one name in a list ("Hà Nội, TP.HCM và Đà
        Nẵng"). Per article: how early the city comes, how many sentences name it, and how much
        other places compete (the most-named other place against the city). Model 3 added
        candidates the training script may select: "TP" / "thành phố" / "the city" standing for
        the city (`anaphora`, and `ana_sentences`: the share of sentences naming it either way),
        how many distinct names and local places (districts, landmarks, bodies) are named, and
        whether the first reference is one name in a list of provinces (`first_listed`). A
        dateline ("TP HCM: …" at the very start) needs no feature of its own: it is the first
        sentence (`first_sentence`, `first`)."""
        others = others or {}
        text_length = len(text)
        groups = self.groups(mentions, title, text)
        bounds = _sentence_bounds(text)
        per_field: dict[str, list[float]] = {"title": [], "lead": [], "body": []}
        weak = sum(1 for m in mentions if m.weak)
        first = 1.0
        listed = located = located_wide = institution = paren = passing = 0
        first_sentence = 0.0
        sentence_end = bounds[0] if bounds else text_length
        sentences: set[int] = set()
        for field, s, e, kinds in groups:
            per_field[field].append(max(KIND_WEIGHT[k] for k in kinds))
            src, spans = (title, others.get("title", [])) if field == "title" else (text, others.get("text", []))
            if field == "title":
                first = 0.0
                first_sentence = 1.0
            else:
                if text_length:
                    first = min(first, s / max(text_length, 1))
                if s < sentence_end:
                    first_sentence = 1.0
                sentences.add(bisect.bisect_right(bounds, s))
            if any(abs(a - e) <= LIST_GAP or abs(s - b) <= LIST_GAP for a, b in spans):
                listed += 1
            before = fold(src[max(0, s - 60) : s])
            clause = _CLAUSE_SPLIT_RE.split(before)[-1]
            if _LOCATIVE_RE.search(before[-14:]):
                located += 1
            if _LOCATIVE_WIDE_RE.search(clause[-48:]):
                located_wide += 1
            # a body of the city: an official name, or a public body just before or inside the
            # reference ("UBND TP.HCM", "Bệnh viện Nhi đồng 2, TP HCM")
            if "official" in kinds or _INSTITUTION_RE.search(before[-32:]) or _BODY_RE.search(clause) \
                    or _BODY_RE.search(fold(src[s:e])):
                institution += 1
            if clause.rfind("(") > clause.rfind(")"):
                paren += 1
            if _PASSING_RE.search(clause) or _ADDRESS_RE.search(src[max(0, s - 40) : s]):
                passing += 1
        evidence = 0.0
        for field, weights in per_field.items():
            weights.sort(reverse=True)
            # the n-th reference in a field counts 1/n: many repetitions saturate
            evidence += FIELD_WEIGHT[field] * sum(w / (i + 1) for i, w in enumerate(weights))
        strong = len(groups)
        n_others = len(others.get("title", [])) + len(others.get("text", []))
        top_other = _top_other(title, text, others)
        n_sent = len(bounds) + 1
        ana = self.anaphora(mentions, title, text, others)
        ana_sentences = sentences | {bisect.bisect_right(bounds, a) for a in ana if a >= 0}
        strong_aliases = [m.alias for m in mentions if not m.weak]
        local = sum(1 for g in groups if any(k in ("district", "landmark", "official") for k in g[3]))
        first_listed = 0.0
        if groups:
            f0, s0, e0, _k = groups[0]
            spans0 = others.get("title" if f0 == "title" else "text", [])
            first_listed = float(any(abs(a - e0) <= LIST_GAP or abs(s0 - b) <= LIST_GAP for a, b in spans0))
        return {
            "evidence": evidence,
            "title": float(bool(per_field["title"])),
            "lead": math.log1p(len(per_field["lead"])),
            "body": math.log1p(len(per_field["body"])),
            "weak": math.log1p(weak),
            "first": first,
            "first_sentence": first_sentence,
            "density": 1000.0 * strong / max(text_length, 300),
            "sentences": len(sentences) / n_sent,
            "others": math.log1p(n_others),
            "share": strong / (strong + n_others) if strong + n_others else 0.0,
            "dominated": math.log1p(top_other) - math.log1p(strong),
            "other_title": float(bool(others.get("title")) and not per_field["title"]),
            "listed": listed / strong if strong else 0.0,
            "located": located / strong if strong else 0.0,
            "located_wide": located_wide / strong if strong else 0.0,
            "institution": institution / strong if strong else 0.0,
            "paren": paren / strong if strong else 0.0,
            "passing": passing / strong if strong else 0.0,
            "anaphora": math.log1p(len(ana)),
            "ana_sentences": len(ana_sentences) / n_sent,
            "places": math.log1p(len({" ".join(_WORD_RE.findall(fold(a))) for a in strong_aliases})),
            "local": math.log1p(local),
            "first_listed": first_listed,
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


def _sentence_bounds(text: str) -> list[int]:
    """Where each sentence but the last ends (a new sentence starts with a capital or a digit,
    so "TP. HCM" does not split)."""
    return [m.start() for m in _SENTENCE_RE.finditer(text)]


def _top_other(title: str, text: str, others: dict[str, list[tuple[int, int]]]) -> int:
    """How many times the most-named other place is named (title and text)."""
    counts: dict[str, int] = {}
    for field, src in (("title", title), ("text", text)):
        for s, e in others.get(field, []):
            key = fold(src[s:e])
            counts[key] = counts.get(key, 0) + 1
    return max(counts.values(), default=0)


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
