"""Train the relevance model shipped as `enrichment/models/relevance_lr.json`.

Data: `bench/data/relevance_labels.jsonl` — real articles (VNTC news, Dân Trí pages, VnExpress
and Zing feed items, foreign outlets' pages) labelled by hand "about Ho Chi Minh City or not",
including the traps (Hồ Chí Minh the person and the road, brand names with Saigon). Only the
`dev` split is used; the `heldout` split is for `bench/eval_enrichment.py` alone.

Model: logistic regression over a few of the city matcher's features (`CityMatcher.features`),
standardised, the scaling folded into the stored weights. Everything is chosen by repeated
5-fold cross-validation on dev (10 shuffles), never on held-out:
- the features: greedy forward selection by cross-validated log loss (kept while it drops by
  ≥ 0.005) gave FEATURES below (run with --select to redo it);
- C: the lowest cross-validated log loss;
- the operating threshold: on the out-of-fold scores, the threshold that comes closest to the
  target (precision ≥ 0.95 at recall ≥ 0.90), i.e. maximises min(P / 0.95, R / 0.90).
The bias is then shifted so that this threshold maps to 0.5: `settings.enrichment.relevance_threshold`
(default 0.5, used by the web, alerts, stories, risk and reports) stays the operating point.

The features are not specific to one city (names, districts, landmarks and officials come from
the city file; other places are the country's provinces minus the city's own names), so the same
model serves Hà Nội and Hải Phòng; it was fitted on Ho Chi Minh City articles only.

Run: .venv/bin/python enrichment/training/train_relevance.py [--select]
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data" / "relevance_labels.jsonl"
OUT = ROOT / "enrichment" / "models" / "relevance_lr.json"
FEATURES = ["density", "share", "first_sentence", "dominated", "institution"]
CS = (0.1, 0.3, 1.0, 3.0)
TARGET_P, TARGET_R = 0.95, 0.90


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


def oof_scores(X, y, c: float, shuffles: int = 10):
    """Out-of-fold probabilities averaged over repeated stratified 5-fold splits."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    p = np.zeros(len(y))
    for seed in range(shuffles):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
        p += cross_val_predict(model, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                               method="predict_proba")[:, 1] / shuffles
    return p


def sweep(p, y) -> list[tuple[float, float, float]]:
    """(threshold, precision, recall) of the scores p."""
    out = []
    for i in range(10, 91):
        th = i / 100
        tp = sum(1 for s, t in zip(p, y, strict=True) if s >= th and t)
        fp = sum(1 for s, t in zip(p, y, strict=True) if s >= th and not t)
        fn = sum(1 for s, t in zip(p, y, strict=True) if s < th and t)
        out.append((th, tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0))
    return out


def select(names: list[str], X, y) -> list[str]:
    """Greedy forward selection by cross-validated log loss (C = 1)."""
    from sklearn.metrics import log_loss

    chosen: list[str] = []
    best = math.inf
    while len(chosen) < len(names):
        trials = []
        for f in names:
            if f in chosen:
                continue
            cols = [names.index(k) for k in [*chosen, f]]
            trials.append((log_loss(y, oof_scores(X[:, cols], y, 1.0)), f))
        loss, f = min(trials)
        if loss > best - 0.005:
            break
        best = loss
        chosen.append(f)
        print(f"  + {f}: cv log loss {loss:.3f}")
    return chosen


def main() -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.preprocessing import StandardScaler

    rows = [json.loads(line) for line in DATA.open(encoding="utf-8") if line.strip()]
    dev = [r for r in rows if r["split"] == "dev"]
    names, X_all, y_all, has = featurize(dev)
    # articles without any mention score 0 without the model: train on the others
    X = np.array([x for x, h in zip(X_all, has, strict=True) if h])
    y = np.array([v for v, h in zip(y_all, has, strict=True) if h])
    features = select(names, X, y) if "--select" in sys.argv else FEATURES
    cols = [names.index(k) for k in features]
    Xf = X[:, cols]
    losses = {c: float(log_loss(y, oof_scores(Xf, y, c))) for c in CS}
    for c, loss in losses.items():
        print(f"C={c}: cv log loss {loss:.3f}")
    best_c = min(losses, key=lambda c: losses[c])
    p = oof_scores(Xf, y, best_c)
    table = sweep(p, y)
    th, cv_p, cv_r = max(table, key=lambda t: (min(t[1] / TARGET_P, t[2] / TARGET_R), t[0]))
    print(f"operating threshold {th:.2f}: cv precision {cv_p:.3f} recall {cv_r:.3f} (articles with a mention)")
    scaler = StandardScaler().fit(Xf)
    clf = LogisticRegression(C=best_c, max_iter=5000).fit(scaler.transform(Xf), y)
    w = clf.coef_[0] / scaler.scale_
    bias = float(clf.intercept_[0] - (clf.coef_[0] * scaler.mean_ / scaler.scale_).sum())
    bias -= math.log(th / (1 - th))  # the operating threshold maps to 0.5
    model = {
        "version": "2",
        "trained_on": f"{DATA.relative_to(ROOT)} split=dev ({len(dev)} articles, {len(y)} with a mention)",
        "features": features,
        "C": best_c,
        "operating_threshold": th,
        "note": "bias shifted by -logit(operating_threshold): a score of 0.5 is the operating point",
        "cv": {"precision": round(cv_p, 3), "recall": round(cv_r, 3), "log_loss": round(losses[best_c], 3)},
        "weights": {k: round(float(v), 6) for k, v in zip(features, w, strict=True)},
        "bias": round(bias, 6),
    }
    OUT.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(model, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
