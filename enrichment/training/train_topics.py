"""Train the Vietnamese topic classifier shipped as `enrichment/models/topics_vi.npz`.

Data: the real VNTC news corpus (VnExpress, Tuổi Trẻ, Thanh Niên, Người Lao Động; copy in
`tests/fixtures/enrichment/vntc/`, see its ORIGIN.txt), its labels mapped onto our taxonomy
where they correspond (`VNTC_TO_TOPIC`); the other labels become "other". The held-out split
(sha1(id) mod 10 < 3) is never used here except to print the final held-out figure; the
regularisation strength is chosen by cross-validation on the training part.

It also holds the scoring of the hand-labelled multi-label set `bench/data/topic_labels.jsonl` (27 codes,
real articles in vi/en/other languages; see its ORIGIN file), used by bench/eval_enrichment.py on the held-out
split and by `--dev-report` on the dev split (the only split used to change terms or the combination).

Run: .venv/bin/python enrichment/training/train_topics.py [--compare-segmenter]
     .venv/bin/python enrichment/training/train_topics.py --dev-report [--errors CODE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from enrichment.topics import TopicModel, syllable_features  # noqa: E402

DATA = ROOT / "tests" / "fixtures" / "enrichment" / "vntc" / "vntc_train_sample.jsonl"
OUT = ROOT / "enrichment" / "models" / "topics_vi.npz"
MANIFEST = ROOT / "enrichment" / "training" / "topics_manifest.json"
LABELLED = ROOT / "bench" / "data" / "topic_labels.jsonl"
METHODS = ("terms", "classifier", "combined")

VNTC_TO_TOPIC = {
    "Chinh tri Xa hoi": "society",
    "Kinh doanh": "economy",
    "Khoa hoc": "science_technology",
    "Vi tinh": "science_technology",
    "Suc khoe": "public_health",
    "Van hoa": "culture",
    "Doi song": "other",
    "Phap luat": "other",
    "The gioi": "other",
    "The thao": "other",
}


def is_heldout(item_id: str) -> bool:
    """The held-out split: ~30% of items, fixed by the id's hash."""
    return int(hashlib.sha1(item_id.encode("utf-8")).hexdigest(), 16) % 10 < 3


def load(path: Path = DATA) -> tuple[list[dict], list[dict]]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    for r in rows:
        r["topic"] = VNTC_TO_TOPIC[r["label"]]
    train = [r for r in rows if not is_heldout(r["id"])]
    test = [r for r in rows if is_heldout(r["id"])]
    return train, test


def _text(r: dict) -> str:
    from duluan.text import normalize_text

    return normalize_text(r["text"])[:3000]


def fit(train: list[dict], analyzer, c_values=(1.0, 3.0, 10.0, 30.0)) -> tuple[object, object, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    texts = [_text(r) for r in train]
    y = [r["topic"] for r in train]
    best_c, best = c_values[0], -1.0
    for c in c_values:
        pipe = make_pipeline(
            TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=2, max_features=30000),
            LogisticRegression(C=c, max_iter=2000),
        )
        score = float(np.mean(cross_val_score(pipe, texts, y, cv=4, scoring="f1_macro")))
        print(f"  C={c}: cv macro-F1 {score:.3f}")
        if score > best:
            best_c, best = c, score
    vec = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=2, max_features=30000)
    X = vec.fit_transform(texts)
    clf = LogisticRegression(C=best_c, max_iter=2000).fit(X, y)
    return vec, clf, best_c


def _segmented(text: str) -> list[str]:
    from underthesea import word_tokenize

    toks = [t.lower() for t in word_tokenize(text) if any(ch.isalpha() for ch in t)]
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]


def heldout_macro_f1(vec, clf, test: list[dict]) -> float:
    from sklearn.metrics import f1_score

    pred = clf.predict(vec.transform([_text(r) for r in test]))
    return float(f1_score([r["topic"] for r in test], pred, average="macro"))


# ------------------------------------------------------------------ the hand-labelled multi-label set

def load_labelled(split: str, path: Path = LABELLED) -> list[dict]:
    """Rows of one split ("dev" or "heldout") of the hand-labelled topic set."""
    if split not in ("dev", "heldout"):
        raise ValueError(f"unknown split {split!r}")
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return [r for r in rows if r["split"] == split]


def language_group(language: str) -> str:
    return language if language in ("vi", "en") else "other"


def predict_labelled(tagger, row: dict, method: str) -> set[str]:
    """The codes one method assigns to one labelled row: "terms" (terms only), "classifier" (the VNTC
    model only; Vietnamese rows only, as in the product) or "combined" (what the product stores)."""
    from duluan.text import normalize_text
    from enrichment.relevance import lead_length
    from enrichment.topics import MAX_TOPICS, THRESHOLD

    title, text = normalize_text(row.get("title") or ""), normalize_text(row.get("text") or "")
    lead = lead_length(text)
    if method == "combined":
        return {t.code for t in tagger.tag(title, text, row["language"], lead)}
    if method == "terms":
        scores = tagger.term_scores(title, text, lead)
    elif method == "classifier":
        if tagger.model is None or row["language"] != "vi":
            return set()
        scores = tagger.model.predict(f"{title}\n{text[:3000]}")
    else:
        raise ValueError(f"unknown method {method!r}")
    ranked = sorted(((c, s) for c, s in scores.items() if s >= THRESHOLD), key=lambda kv: (-kv[1], kv[0]))
    return {c for c, _ in ranked[:MAX_TOPICS]}


def score_labelled(gold: list[set[str]], pred: list[set[str]], codes) -> dict:
    """Per-code precision/recall/F1 with support, micro P/R/F1 and macro-F1 (over the codes with
    support >= 3 — fewer positives give no meaningful figure — and over all codes with support > 0)."""
    tp = {c: 0 for c in codes}
    fp = {c: 0 for c in codes}
    fn = {c: 0 for c in codes}
    for g, p in zip(gold, pred, strict=True):
        for c in codes:
            tp[c] += c in p and c in g
            fp[c] += c in p and c not in g
            fn[c] += c in g and c not in p
    per = {}
    for c in codes:
        p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 0.0
        r = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 0.0
        per[c] = {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": tp[c] + fn[c],
                  "tp": tp[c], "fp": fp[c], "fn": fn[c]}
    T, F, N = sum(tp.values()), sum(fp.values()), sum(fn.values())
    mp = T / (T + F) if T + F else 0.0
    mr = T / (T + N) if T + N else 0.0
    meaningful = [c for c in codes if per[c]["support"] >= 3]
    present = [c for c in codes if per[c]["support"] > 0]
    return {"per": per, "micro_p": mp, "micro_r": mr, "micro_f1": 2 * mp * mr / (mp + mr) if mp + mr else 0.0,
            "macro_f1": sum(per[c]["f1"] for c in meaningful) / len(meaningful) if meaningful else 0.0,
            "macro_f1_all": sum(per[c]["f1"] for c in present) / len(present) if present else 0.0,
            "meaningful": meaningful, "n": len(gold)}


def evaluate_labelled(tagger, rows: list[dict], method: str, group: str | None = None) -> dict:
    """Score one method on labelled rows (optionally one language group: vi / en / other)."""
    from enrichment.topics import CODES

    rows = [r for r in rows if group is None or language_group(r["language"]) == group]
    pred = [predict_labelled(tagger, r, method) for r in rows]
    res = score_labelled([set(r["codes"]) for r in rows], pred, CODES)
    res["predictions"] = pred
    return res


def dev_report(errors_for: str | None = None) -> None:
    """Per-code figures on the DEV split only (for changing terms / the combination); with
    --errors CODE, the dev rows where that code is missed or wrongly given."""
    from enrichment.topics import CODES, TopicTagger, load_topics

    tagger = TopicTagger(load_topics(ROOT / "config"))
    rows = load_labelled("dev")
    for method in METHODS:
        res = evaluate_labelled(tagger, rows, method)
        groups = {g: evaluate_labelled(tagger, rows, method, g) for g in ("vi", "en", "other")}
        print(f"{method:10s} micro P {res['micro_p']:.3f} R {res['micro_r']:.3f} F1 {res['micro_f1']:.3f} "
              f"macro-F1 {res['macro_f1']:.3f} | " + " ".join(f"{g} {r['micro_f1']:.3f}/{r['macro_f1']:.3f}"
                                                         for g, r in groups.items()))
    res = evaluate_labelled(tagger, rows, "combined")
    for c in CODES:
        x = res["per"][c]
        print(f"  {c:22s} P {x['p']:.2f} R {x['r']:.2f} F1 {x['f1']:.2f} n {x['support']:3d} fp {x['fp']}")
    if errors_for:
        for r, p in zip(rows, res["predictions"], strict=True):
            if (errors_for in p) != (errors_for in r["codes"]):
                kind = "FP" if errors_for in p else "FN"
                print(f"{kind} {r['id']} {r['language']} gold={r['codes']} pred={sorted(p)} | {r['title'][:90]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--compare-segmenter", action="store_true",
                    help="also train on underthesea.word_tokenize words and report both")
    ap.add_argument("--dev-report", action="store_true",
                    help="score the hand-labelled set's dev split (no training)")
    ap.add_argument("--errors", default=None, help="with --dev-report: list the dev errors of one code")
    args = ap.parse_args()
    if args.dev_report:
        dev_report(args.errors)
        return
    train, test = load()
    print(f"train {len(train)}, held-out {len(test)}")
    print("syllable uni+bigrams:")
    vec, clf, c = fit(train, syllable_features)
    f1 = heldout_macro_f1(vec, clf, test)
    print(f"  held-out macro-F1 (7 classes incl. other): {f1:.3f}")
    manifest = {
        "model": str(OUT.relative_to(ROOT)),
        "data": str(DATA.relative_to(ROOT)),
        "mapping": VNTC_TO_TOPIC,
        "split": "held-out = sha1(id) mod 10 < 3",
        "train_items": len(train),
        "heldout_items": len(test),
        "features": "syllable unigrams+bigrams, sublinear TF-IDF, min_df 2, max 30000",
        "classifier": f"LogisticRegression(C={c})",
        "heldout_macro_f1_7class": round(f1, 4),
    }
    if args.compare_segmenter:
        print("underthesea.word_tokenize words+bigrams:")
        vec2, clf2, _ = fit(train, _segmented)
        manifest["heldout_macro_f1_7class_word_tokenize"] = round(heldout_macro_f1(vec2, clf2, test), 4)
        print(f"  held-out macro-F1: {manifest['heldout_macro_f1_7class_word_tokenize']:.3f}")
    vocab = vec.get_feature_names_out()
    model = TopicModel(list(vocab), vec.idf_, clf.coef_, clf.intercept_, [str(x) for x in clf.classes_],
                       weight=0.9, version="1")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    model.save(OUT)
    MANIFEST.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB) and {MANIFEST}")


if __name__ == "__main__":
    main()
