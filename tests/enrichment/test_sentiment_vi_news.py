"""Vietnamese news sentiment (session 3): the Vietnamese domain lexicon v2 and its negation, the
held-out news set (260 real sentences, the session-1 79 among them) with and without the e5
model, and a few real held-out sentences read by the labeller."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from duluan.settings import Settings
from enrichment.sentiment import LEX_VERSION, evaluate, lexicon_features, load_sentiment_model, macro_f1

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "enrichment" / "sentiment"
FLOOR_TFIDF = 0.56  # measured 0.596 on the 260 rows (session-1 79: 0.650; the session-2 model: 0.518 on those)
FLOOR_E5 = 0.67  # measured 0.700 on the 260 rows (session-1 79: 0.722; the session-2 model: 0.683 on those)


def _heldout() -> list[dict[str, str]]:
    with open(FIX / "vi_news_heldout.tsv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def _tfidf_only():
    s = Settings()
    s.enrichment.embeddings = False
    return load_sentiment_model(s)


def test_heldout_set_size_and_session1_rows() -> None:
    rows = _heldout()
    assert len(rows) == 260
    assert sum(".vntc.example" in r["source_url"] for r in rows) == 79  # the session-1 rows, unchanged, first
    assert all(".vntc.example" in r["source_url"] for r in rows[:79])
    assert {r["label"] for r in rows} == {"-1", "0", "1"} and {r["split"] for r in rows} == {"heldout"}
    train = FIX.parents[2].parent / "enrichment" / "training" / "data" / "sentiment" / "vi_news_labelled.tsv"
    with open(train, encoding="utf-8", newline="") as f:
        train_rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["split"] == "train"]
    # the session-3 rows were split by article: none shares an article with a training row (the session-1
    # rule split sentences, so 56 of those 79 share an article with training sentences)
    new = {r["source_url"] for r in rows[79:]}
    assert len(new) > 150 and not new & {r["source_url"] for r in train_rows if r["kind"] == "real"}


@pytest.mark.parametrize(("text", "neg", "pos"), [
    ("Ba đối tượng bị bắt vì buôn bán ma tuý.", True, False),      # tone-mark variant of "ma túy"
    ("Mưa lũ gây sạt lở nhiều tuyến đường.", True, False),
    ("Xăng tăng giá từ 15h.", True, False),
    ("Thành phố khánh thành cầu mới, người dân phấn khởi.", False, True),
    ("Đội tuyển giành chức vô địch.", False, True),
    ("Lũ trẻ chơi ngoài sân.", False, False),                        # "lũ" alone is not a flood
    ("Hàng công của đội chủ nhà tấn công liên tục.", False, False),   # football, not an attack
])
def test_vietnamese_lexicon_v2_terms(text: str, neg: bool, pos: bool) -> None:
    n, p = lexicon_features(text, "vi")
    assert (n > 0) == neg and (p > 0) == pos, (text, n, p)


def test_vietnamese_lexicon_negation_and_versions() -> None:
    assert LEX_VERSION == 2
    n, p = lexicon_features("Khu dân cư này không còn ngập sau mưa.", "vi")
    assert n == 0.0 and p > 0.0  # negated negative term counts on the other side
    n, p = lexicon_features("Dự án chưa hoàn thành.", "vi")
    assert n > 0.0 and p == 0.0
    # version 1 (models trained before session 3) does not know the new terms
    assert lexicon_features("Ba đối tượng bị bắt vì buôn bán ma túy.", "vi", lex_version=1) == [0.0, 0.0]


def test_models_record_their_lexicon_version() -> None:
    m = load_sentiment_model()
    assert m.vi.meta["lex_version"] == 2 and m.vi.meta["w_news"] > m.vi.meta["w_uit"]
    assert m.vi_e5 is not None and m.vi_e5.meta["lex_version"] == 2


def test_negation_flips_a_real_sentence_tone() -> None:
    m = _tfidf_only()
    bad, fixed = m.sentence_scores(["Nhiều tuyến đường ở quận 7 ngập sâu sau cơn mưa chiều qua.",
                                    "Nhiều tuyến đường ở quận 7 không còn ngập sau cơn mưa chiều qua."], "vi")
    assert bad < 0 and fixed > bad + 0.3


# real held-out sentences (VnExpress feed titles, 2017), labelled before any model was trained on this set
_FIRE = ("Khói lửa bao trùm kho phế liệu ở Bình Dương", -1)
_DEAL = ("Napas và công ty thẻ lớn ở Hàn Quốc ký kết hợp tác chiến lược", 1)


def test_real_heldout_sentences() -> None:
    held = {(r["text"], int(r["label"])) for r in _heldout()}
    assert _FIRE in held and _DEAL in held
    # the e5 model (city sentences with embeddings on) gets both right
    assert load_sentiment_model().predict([_FIRE[0], _DEAL[0]], "vi") == [-1, 1]
    # the TF-IDF model gets the deal right; it scores the fire only as neutral (no fire/smoke term in
    # the lexicon matches "khói lửa"), but still below the deal
    m = _tfidf_only()
    assert m.predict([_DEAL[0]], "vi") == [1]
    fire, deal = m.sentence_scores([_FIRE[0], _DEAL[0]], "vi")
    assert fire < deal


def test_news_heldout_without_embeddings() -> None:
    rows = _heldout()
    res = evaluate([r["text"] for r in rows], [int(r["label"]) for r in rows], "vi", _tfidf_only())
    assert res["method"] == "lr-tfidf-vi" and res["n"] == 260
    majority = macro_f1([int(r["label"]) for r in rows], [0] * len(rows))["macro_f1"]
    assert res["macro_f1"] >= majority + 0.25, res
    assert res["macro_f1"] >= FLOOR_TFIDF, res


@pytest.mark.slow
def test_news_heldout_with_e5() -> None:
    rows = _heldout()
    res = evaluate([r["text"] for r in rows], [int(r["label"]) for r in rows], "vi", load_sentiment_model())
    assert res["method"] == "lr-tfidf-vi+e5" and res["n"] == 260
    assert res["macro_f1"] >= FLOOR_E5, res
