"""Train the Vietnamese topic classifier shipped as `enrichment/models/topics_vi.npz`.

Data: the real VNTC news corpus (VnExpress, Tuổi Trẻ, Thanh Niên, Người Lao Động; copy in
`tests/fixtures/enrichment/vntc/`, see its ORIGIN.txt), its labels mapped onto our taxonomy
where they correspond (`VNTC_TO_TOPIC`); the other labels become "other". The held-out split
(sha1(id) mod 10 < 3) is never used here except to print the final held-out figure; the
regularisation strength is chosen by cross-validation on the training part.

Run: .venv/bin/python enrichment/training/train_topics.py [--compare-segmenter]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--compare-segmenter", action="store_true",
                    help="also train on underthesea.word_tokenize words and report both")
    args = ap.parse_args()
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
