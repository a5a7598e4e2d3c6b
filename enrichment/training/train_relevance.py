"""Train the relevance model shipped as `enrichment/models/relevance_lr.json`.

Data: `bench/data/relevance_labels.jsonl` — real articles (VNTC news, Dân Trí pages, VnExpress
and Zing feed items, foreign outlets' pages) labelled by hand "about Ho Chi Minh City or not",
including the traps (Hồ Chí Minh the person and the road, brand names with Saigon). Only the
`dev` split is used; the `heldout` split is for `bench/eval_enrichment.py` alone.

The features are the city matcher's (mentions per field, evidence, first position, density,
other places named); the model is a logistic regression with C chosen by cross-validation.

Run: .venv/bin/python enrichment/training/train_relevance.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data" / "relevance_labels.jsonl"
OUT = ROOT / "enrichment" / "models" / "relevance_lr.json"


def featurize(rows: list[dict]) -> tuple[list[str], list[list[float]], list[int], list[bool]]:
    """Feature matrix of the rows through the real normaliser and city matcher (no model)."""
    from duluan.models import Article
    from duluan.settings import Settings, load_city
    from enrichment import relevance
    from enrichment.normalize import normalize

    relevance.MODEL_PATH = Path("/nonexistent")  # features only: no previous model
    matcher = relevance.CityMatcher(load_city(Settings(config_dir=ROOT / "config"), "hcmc"))
    names: list[str] = []
    X, y, has = [], [], []
    for r in rows:
        a = normalize(Article(id="x", url="u", canonical_url="u", source_id="s", title=r["title"], text=r["text"],
                              published_at="2026-01-01T00:00:00Z"))
        ms = matcher.mentions(a.title, a.text)
        others = {"title": matcher.other_spans(a.title), "text": matcher.other_spans(a.text)}
        f = matcher.features(ms, a.title, a.text, others)
        names = list(f)
        X.append([f[k] for k in names])
        y.append(int(r["label"]))
        has.append(bool(ms))
    return names, X, y, has


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    rows = [json.loads(line) for line in DATA.open(encoding="utf-8") if line.strip()]
    dev = [r for r in rows if r["split"] == "dev"]
    names, X, y, has = featurize(dev)
    # articles without any mention score 0 without the model: train on the others
    Xm = [x for x, h in zip(X, has, strict=True) if h]
    ym = [v for v, h in zip(y, has, strict=True) if h]
    best_c, best = 1.0, -1.0
    for c in (0.1, 0.3, 1.0, 3.0, 10.0):
        score = float(cross_val_score(LogisticRegression(C=c, max_iter=5000), Xm, ym, cv=5, scoring="average_precision").mean())
        print(f"C={c}: cv average precision {score:.3f}")
        if score > best:
            best_c, best = c, score
    clf = LogisticRegression(C=best_c, max_iter=5000).fit(Xm, ym)
    model = {
        "version": "1",
        "trained_on": f"{DATA.relative_to(ROOT)} split=dev ({len(dev)} articles, {len(Xm)} with a mention)",
        "C": best_c,
        "weights": {k: round(float(w), 6) for k, w in zip(names, clf.coef_[0], strict=True)},
        "bias": round(float(clf.intercept_[0]), 6),
    }
    OUT.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(model, indent=2))


if __name__ == "__main__":
    main()
