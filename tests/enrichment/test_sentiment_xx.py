"""The other-language (xx) sentiment model: the foreign-language held-out set is well-formed, and
the shipped model orders clearly negative and clearly positive REAL foreign news sentences."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from enrichment.sentiment import load_sentiment_model

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "enrichment" / "sentiment"


def _rows() -> list[dict[str, str]]:
    with open(FIX / "xx_news_heldout.tsv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_xx_heldout_is_well_formed() -> None:
    rows = _rows()
    assert 150 <= len(rows) <= 250
    assert all(set(r) == {"label", "split", "kind", "language", "text", "source_url"} for r in rows)
    assert {r["label"] for r in rows} == {"-1", "0", "1"}
    assert {r["split"] for r in rows} == {"heldout"} and {r["kind"] for r in rows} == {"real"}
    langs = Counter(r["language"] for r in rows)
    assert not {"vi", "en"} & set(langs) and len(langs) >= 5  # foreign languages only, several of them
    assert len({r["text"] for r in rows}) == len(rows)  # no duplicate sentence
    assert all(r["text"].strip() == r["text"] and "\n" not in r["text"] and r["source_url"] for r in rows)
    labels = Counter(r["label"] for r in rows)
    assert min(labels.values()) >= 20  # a realistic mix of tones, not one class


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "bad", "good"), [
    ("fr", "Des frappes russes ont fait au moins deux morts à Soumy, dans le nord-est de l'Ukraine, "
           "ont indiqué les autorités locales ce vendredi.",
     "7h31 - Les ventes de Renault progressent au premier semestre"),
    ("ja", "一方で、イスラエル軍は13日、ガザ北部の戦闘でイスラエル兵5人が死亡したと発表した。",
     "小笠原諸島の警察無線「不感地帯」解消 以前は電波を探し警察官が往復 住民から安堵の声"),
])
def test_shipped_xx_model_orders_real_foreign_sentences(lang: str, bad: str, good: str) -> None:
    texts = {r["text"] for r in _rows()}
    assert any(bad in t for t in texts) and good in texts  # real sentences of the held-out set
    model = load_sentiment_model()
    assert model.method(lang) == "e5-lr-xx"
    neg, pos = model.sentence_scores([bad, good], lang)
    assert -1.0 <= neg < pos <= 1.0
