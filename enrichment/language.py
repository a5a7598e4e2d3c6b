"""Language identification: script first, then py3langid over the configured language set plus a
word-level model on Latin-script text, langdetect as the second opinion when still unsure, and the
page/feed language as a prior.

Why a combination: scripts such as Hangul, Kana, Thai, Khmer or Lao settle the question before any
statistics; py3langid's character n-grams are fast and strong on sentences, but two words of
Spanish, French, English or Portuguese often look alike at character level ("la vez", "the
Director"), and whole words settle most of those. The word model (enrichment/models/
lang_words.json.gz, trained by enrichment/training/train_language.py on the development half of
the sentence files, other real article text, wordfreq's word frequencies and jusText's stop-word
lists) is a naive-Bayes term log P(word | language) added to py3langid's log-probabilities, with a
word-ending back-off for words no table knows; Vietnamese is kept folded, so Vietnamese typed without diacritics is
recognised too. The office's own languages (DOMAIN.md) get a higher prior than the extra
foreign-press ones. The body decides; a short title never overrides it. Returns ISO 639-1 plus a
confidence in 0..1, or "und" with confidence 0 when there is nothing to tell from.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duluan.models import Article
from duluan.text import fold

log = logging.getLogger("duluan.enrichment.language")

METHOD = "script+py3langid+langdetect+words@3"
MODEL_FILE = Path(__file__).resolve().parent / "models" / "lang_words.json.gz"

# Weights of the Latin-script decision, chosen by cross-validation inside the development half of
# the sentence files (enrichment/training/train_language.py --cv), never on the held-out half.
DEFAULT_PARAMS: dict[str, float] = {
    "w_char": 1.0,       # weight of log P(lang | characters) from py3langid
    "w_word": 0.8,       # weight of the naive-Bayes word term
    "alpha": 0.1,        # additive smoothing of the word counts
    "extra_prior": 0.3,  # prior of the extra foreign-press languages relative to the office's own
    "ld_below": 0.5,     # ask langdetect when the best share is below this (and >= 3 words)
    "w_suffix": 0.4,     # weight of the word-ending term for words no table knows
    "unseen_types": 0.0,  # > 0: Witten-Bell smoothing over this many unseen words instead of additive
}
SUFFIX = 2  # length of the word endings of the back-off table
MAX_TEXT_WORDS = 64  # words of one text that enter the word term
_TOKEN_RE = re.compile(r"[^\W\d_]+")


def tokens(text: str, lang: str | None = None) -> list[str]:
    """Lower-cased letter runs; folded (diacritic-free) for Vietnamese, whose word table is kept
    folded because Vietnamese with its diacritics is settled by its letters before any statistics."""
    words = _TOKEN_RE.findall(text.lower())
    return [fold(w) for w in words] if lang == "vi" else words


def load_word_model(path: Path = MODEL_FILE) -> dict[str, Any] | None:
    """The shipped word-count table (None when the file is missing: py3langid alone then)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        log.warning("language word model %s missing: characters only", path)
        return None

# Letters that only Vietnamese uses among the Latin-script languages we meet.
_VI_ONLY = set(
    "ăắằẳẵặâấầẩẫậđêếềểễệôốồổỗộơớờởỡợưứừửữựảạẻẽẹỉĩịỏọủụỳỷỹỵ"
    "ĂẮẰẲẴẶẤẦẨẪẬĐẾỀỂỄỆỐỒỔỖỘƠỚỜỞỠỢƯỨỪỬỮỰẢẠẺẼẸỈĨỊỎỌỦỤỲỶỸỴ"
)

# The office's languages (DOMAIN.md); the others in the configured set get a lower prior.
CORE_LANGUAGES = frozenset({"vi", "en", "fr", "zh", "ja", "ko", "ru", "de", "es", "th", "km", "lo"})
EXTRA_PRIOR = 0.3


_SCRIPT_RES = {
    "kana": re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]"),
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
    "lao": re.compile(r"[\u0e80-\u0eff]"),
    "khmer": re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"),
}
_VI_ONLY_RE = re.compile("[" + "".join(sorted(_VI_ONLY)) + "]")


def script_profile(text: str) -> dict[str, int]:
    """Count letters per script (Han, Kana, Hangul, Thai, Khmer, Lao, Cyrillic, Arabic, Latin…)."""
    counts = {}
    for name, rx in _SCRIPT_RES.items():
        n = len(rx.findall(text))
        if n:
            counts[name] = n
    return counts


@dataclass(frozen=True)
class LanguageResult:
    language: str
    confidence: float
    method: str


class LanguageIdentifier:
    """Loaded once (py3langid model + langdetect profiles); `identify` is deterministic."""

    def __init__(self, languages: list[str], word_model: dict[str, Any] | None = None,
                 params: dict[str, float] | None = None):
        import py3langid.langid as pl

        self.languages = list(dict.fromkeys(languages))
        self._pl = pl
        self._lid = pl.LanguageIdentifier.from_model_file(pl.MODEL_FILE, norm_probs=True)
        self._restricted: dict[tuple[str, ...], object] = {}
        known = set(self._lid.labels)
        self._lid_langs = [c for c in self.languages if c in known]
        latin = {"vi", "en", "fr", "de", "es", "it", "pt", "id", "ms", "nl", "pl", "tr", "ro", "cs",
                 "sv", "da", "no", "fi", "hu", "tl", "ca", "hr", "sk", "sl", "et", "lv", "lt"}
        self._latin = [c for c in self._lid_langs if c in latin] or ["en"]
        self._cyr = [c for c in self._lid_langs if c in {"ru", "uk", "bg", "sr", "mk", "be", "kk"}] or ["ru"]
        self._lock = threading.Lock()
        self._ld_factory = None
        self.params = {**DEFAULT_PARAMS, **(params or {})}
        self._words, self._unseen = self._word_tables(word_model if word_model is not None else load_word_model())
        self._vocab = {w for table in self._words.values() for w in table}
        self._matrix_from_tables()

    def _matrix_from_tables(self) -> None:
        """The word tables of the languages other than Vietnamese as one matrix (a row per word, a
        column per language, the last row the unseen-word values): one lookup per word instead of
        one per word and language keeps the word term cheap with 40,000 words per language.
        Vietnamese keeps its own (folded) table."""
        import numpy as np

        self._order = [k for k in self._words if k != "vi"]
        words = sorted({w for k in self._order for w in self._words[k]})
        self._row = {w: i for i, w in enumerate(words)}
        unseen = [self._unseen[k] for k in self._order]
        mat = np.empty((len(words) + 1, len(self._order)), dtype=np.float32)
        for j, k in enumerate(self._order):
            table, miss = self._words[k], unseen[j]
            mat[:-1, j] = [table.get(w, miss) for w in words]
        mat[-1, :] = unseen
        self._matrix = mat

    def _word_tables(self, model: dict[str, Any] | None) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
        """log P(word | language) with additive smoothing, for the Latin-script languages (and the
        same for word endings, kept in self._suffixes / self._suffix_unseen)."""
        self._suffixes: dict[str, dict[str, float]] = {}
        self._suffix_unseen: dict[str, float] = {}
        if not model:
            return {}, {}
        langs = {k: v for k, v in model["languages"].items() if k in self._latin}
        a = self.params["alpha"]
        words, unseen = {}, {}
        for key, total, table, dest, miss in (("words", "total", words, words, unseen),
                                              ("suffixes", "suffix_total", {}, self._suffixes, self._suffix_unseen)):
            vocab = len({w for v in langs.values() for w in v.get(key, {})}) or 1
            for lang, v in langs.items():
                counts = v.get(key, {})
                if self.params["unseen_types"] > 0:
                    # Witten-Bell: the unseen mass grows with the number of distinct words seen,
                    # spread over a fixed number of unseen words, so a large corpus is not
                    # penalised for the words it has not seen
                    n, t = v.get(total, 0), len(counts) or 1
                    dest[lang] = {w: math.log(c / (n + t)) for w, c in counts.items()}
                    miss[lang] = math.log(t / ((n + t) * self.params["unseen_types"]))
                    continue
                denom = v.get(total, 0) + a * vocab
                dest[lang] = {w: math.log((c + a) / denom) for w, c in counts.items()}
                miss[lang] = math.log(a / denom)
            del table
        return words, unseen

    # -- langdetect, loaded lazily (its profiles take ~1 s) ------------------------------
    def _langdetect(self, text: str) -> dict[str, float]:
        from langdetect import DetectorFactory
        from langdetect.detector_factory import init_factory
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0
        with self._lock:
            if self._ld_factory is None:
                init_factory()
                from langdetect import detector_factory

                self._ld_factory = detector_factory._factory
            try:
                det = self._ld_factory.create()
                det.append(text[:1000])
                probs = det.get_probabilities()
            except LangDetectException:
                return {}
        out: dict[str, float] = {}
        for p in probs:
            code = p.lang.split("-")[0]
            out[code] = out.get(code, 0.0) + p.prob
        return out

    def _classify(self, text: str, langs: list[str]) -> list[tuple[str, float]]:
        if len(langs) == 1:
            return [(langs[0], 1.0)]
        key = tuple(langs)
        with self._lock:
            lid = self._restricted.get(key)
            if lid is None:
                # one restricted copy per language set: restricting slices the whole model
                lid = self._pl.LanguageIdentifier(*self._lid._full_model[:2], self._lid._full_model[2],
                                                  self._lid.tk_nextmove, self._lid.tk_output,
                                                  norm_probs=True, tk_row=self._lid.tk_row)
                lid.set_languages(langs)
                self._restricted[key] = lid
            return [(str(c), float(p)) for c, p in lid.rank(text)]

    def identify(self, text: str, hint: str | None = None) -> LanguageResult:
        """The language of one text. `hint` (HTML `lang`, feed language, outlet language) is a
        prior: it wins when the statistics are unsure between it and another language."""
        text = repair_mojibake((text or "")[:2000])
        hint = (hint or "").split("-")[0].lower() or None
        if hint not in self.languages:
            hint = None
        profile = script_profile(text)
        letters = sum(profile.values())
        if letters == 0:
            return LanguageResult("und", 0.0, "empty")
        top_script, top_n = max(profile.items(), key=lambda kv: kv[1])
        share = top_n / letters
        kana, han, hangul = profile.get("kana", 0), profile.get("han", 0), profile.get("hangul", 0)
        # CJK: Kana means Japanese, Hangul Korean; Han alone Chinese.
        if kana and kana >= 0.05 * (kana + han) and kana + han >= 0.3 * letters:
            return self._ok("ja", 0.99 if kana >= 2 else 0.8, "script")
        if hangul and hangul >= 0.3 * letters:
            return self._ok("ko", 0.99 if hangul >= 2 else 0.8, "script")
        if han and han >= 0.3 * letters:
            return self._ok("zh", 0.98 if han >= 2 else 0.7, "script", hint)
        for script, code in (("thai", "th"), ("khmer", "km"), ("lao", "lo"), ("arabic", "ar")):
            if profile.get(script, 0) >= 0.3 * letters:
                return self._ok(code, 0.99 if profile[script] >= 3 else 0.8, "script")
        if top_script == "cyrillic" and share >= 0.5:
            ranked = {k: v * (1.0 if k in CORE_LANGUAGES else EXTRA_PRIOR) for k, v in self._classify(text, self._cyr)}
            best = max(ranked, key=ranked.__getitem__)
            return self._ok(best, ranked[best] / (sum(ranked.values()) or 1.0), "script+py3langid")
        if top_script != "latin":
            return LanguageResult("und", 0.0, "script")
        return self._latin_text(text, hint, letters)

    def _ok(self, code: str, conf: float, method: str, hint: str | None = None) -> LanguageResult:
        if code not in self.languages:
            return LanguageResult("und", 0.0, method)
        return LanguageResult(code, round(conf, 4), method)

    def _latin_text(self, text: str, hint: str | None, letters: int) -> LanguageResult:
        distinct = len({c for c in set(text.lower()) if c.isalpha()})
        if distinct >= 3 and "vi" in self.languages:
            vi_only = len(_VI_ONLY_RE.findall(text))
            if vi_only >= 2 and vi_only >= 0.03 * letters:
                return LanguageResult("vi", 0.99, "script")
        toks = tokens(text)
        if distinct < 2 or distinct < 3 and not self._known(toks):
            return LanguageResult("und", 0.0, "empty")  # "aaaa…", "Us": nothing to tell from
        p = self.params
        ranked = dict(self._classify(text, self._latin))
        # prior: the office's own languages (DOMAIN.md) are far more frequent in its feed than
        # the extra foreign-press languages
        extra = math.log(p["extra_prior"])
        logs = {k: p["w_char"] * math.log(max(v, 1e-12)) + (0.0 if k in CORE_LANGUAGES else extra)
                for k, v in ranked.items()}
        method = "py3langid"
        if self._words:
            rows: list[int] = []
            vi_table = self._words.get("vi", {})
            vi_sum, vi_miss = 0.0, self._unseen.get("vi", 0.0)
            # the first words are enough: on longer text the characters already decide
            for tok in toks[:MAX_TEXT_WORDS]:
                folded = fold(tok)
                row = self._row.get(tok)
                vi_logp = vi_table.get(folded)
                if row is None and vi_logp is None:
                    # a word no language knows (a name, a rare word): its ending, weakly
                    if p["w_suffix"] and len(tok) > SUFFIX:
                        for k in logs:
                            if k in self._suffixes:
                                end = (folded if k == "vi" else tok)[-SUFFIX:]
                                logs[k] += p["w_suffix"] * self._suffixes[k].get(end, self._suffix_unseen[k])
                    continue
                rows.append(-1 if row is None else row)
                vi_sum += vi_miss if vi_logp is None else vi_logp
            if rows:
                sums = self._matrix[rows].sum(axis=0)
                for j, k in enumerate(self._order):
                    if k in logs:
                        logs[k] += p["w_word"] * float(sums[j])
                if "vi" in logs and vi_table:
                    logs["vi"] += p["w_word"] * vi_sum
                method += "+words"
        scores = _softmax(logs)
        best, conf = max(scores.items(), key=lambda kv: kv[1])
        if conf < p["ld_below"] and len(toks) >= 3:
            # unsure between Latin languages: langdetect as the second opinion
            ld = {k: v for k, v in self._langdetect(text).items() if k in self._latin}
            if ld:
                method += "+langdetect"
                scores = {k: 0.5 * scores.get(k, 0.0) + 0.5 * ld.get(k, 0.0) for k in set(scores) | set(ld)}
        if hint and hint in scores:
            scores[hint] = scores[hint] + 0.25
            method += "+hint"
        total = sum(scores.values()) or 1.0
        best, raw = max(scores.items(), key=lambda kv: kv[1])
        return LanguageResult(best, round(min(raw / total, 1.0), 4), method)

    def _known(self, toks: list[str]) -> bool:
        return any(t in self._vocab for t in toks)


_MOJIBAKE_RE = re.compile("[\u00c2\u00c3\u00c5\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")


def repair_mojibake(text: str) -> str:
    """UTF-8 read as cp1252 ("MÃ¤rz" for "März") undone for identification only, when the whole
    text round-trips; anything else (a real "Ã" in "SÃO PAULO") is left as it is."""
    if not _MOJIBAKE_RE.search(text):
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _softmax(logs: dict[str, float]) -> dict[str, float]:
    top = max(logs.values())
    ex = {k: math.exp(v - top) for k, v in logs.items()}
    total = sum(ex.values())
    return {k: v / total for k, v in ex.items()}


def identify_article(identifier: LanguageIdentifier, article: Article, hint: str | None = None) -> Article:
    """Set `language` and `language_confidence`. The body decides; the title (often short and
    full of names) is only used when the body is too short to tell."""
    body = article.text or ""
    if len(body) >= 200:
        res = identifier.identify(body[:2000], hint)
    else:
        res = identifier.identify(f"{article.title}\n{body}", hint)
    return article.model_copy(update={
        "language": res.language,
        "language_confidence": res.confidence,
        "enrichment": {**article.enrichment, "language": f"{METHOD}:{res.method}"},
    })


def is_nfc(text: str) -> bool:
    """True when the text is already in NFC (the identifier expects NFC input)."""
    return unicodedata.is_normalized("NFC", text)
