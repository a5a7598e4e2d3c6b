"""The engine's fast tokeniser must give exactly the index's tokens, or rule queries would mean
something else than the same words typed into search."""

from __future__ import annotations

import json
from pathlib import Path

from alerts.matching import fast_tokens
from index.query_parser import index_tokens

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "articles" / "demo.jsonl"


def test_fast_tokens_equal_index_tokens_on_real_articles():
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) > 300
    for r in rows:
        text = r["title"] + "\n" + r["text"]
        assert fast_tokens(text) == index_tokens(text), r["url"]


def test_fast_tokens_edge_cases():
    samples = [
        "Đà Nẵng–Hội An: “ngập lụt” … TP.HCM (quận 1) — 12,5% ‘kẹt xe’",
        "Hoà bình hòa bình HOÀ BÌNH",  # tone placement and case do not matter
        "Hô-Chi-Minh-Ville, Saïgon; Ho-Chi-Minh-Stadt; Ciudad Ho Chi Minh",
        "胡志明市的地铁终于开通 ホーチミン市 호찌민시 Хошимин นครโฮจิมินห์",
        "snake_case words, e-mail@example.com, 1.000.000 đồng",
        "ﬁ ligature, Straße, Øresund, Łódź",
        "",
        "   ",
    ]
    for s in samples:
        assert fast_tokens(s) == index_tokens(s), s
