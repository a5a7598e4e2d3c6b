"""Topics measured on real hand-labelled articles (bench/data/topic_labels.jsonl) and the matching rules
that came with it: weak terms, diacritics that must match, short items, the classifier's weight."""

from __future__ import annotations

import hashlib
import json
import math
import shutil

import pytest

from enrichment.topics import CODES, TopicTagger, check_config, load_topics

from .conftest import ROOT

LABELS = ROOT / "bench" / "data" / "topic_labels.jsonl"


def _rows() -> list[dict]:
    return [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_labelled_set_is_well_formed_and_its_split_follows_the_fixed_rule() -> None:
    rows = _rows()
    assert len(rows) >= 250
    assert len({r["id"] for r in rows}) == len(rows)
    assert (ROOT / "bench" / "data" / "topic_labels.ORIGIN.txt").exists()
    langs = {r["language"] for r in rows}
    assert {"vi", "en", "fr", "zh", "ja"} <= langs
    for r in rows:
        assert set(r["codes"]) <= set(CODES), r["id"]
        assert r["title"] or r["text"], r["id"]
        if r["origin"].startswith("vntc:"):
            # VNTC rows follow the VNTC classifier's split (its held-out never trained the model)
            vntc_id = r["origin"][5:].split(" (demo")[0]
            heldout = int(hashlib.sha1(vntc_id.encode()).hexdigest(), 16) % 10 < 3
        else:
            heldout = int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 10 < 4
        assert r["split"] == ("heldout" if heldout else "dev"), r["id"]
    # every sensitive code has labelled examples somewhere in the set
    present = {c for r in rows for c in r["codes"]}
    assert {"security_defence", "democracy", "human_rights", "ethnic_groups", "religion"} <= present


def test_scoring_counts_per_code_and_micro_macro() -> None:
    from enrichment.training.train_topics import score_labelled

    gold = [{"economy"}, {"economy", "trade"}, set(), {"culture"}]
    pred = [{"economy"}, {"economy"}, {"economy"}, set()]
    res = score_labelled(gold, pred, ["economy", "trade", "culture"])
    assert res["per"]["economy"] == pytest.approx({"p": 2 / 3, "r": 1.0, "f1": 0.8, "support": 2, "tp": 2, "fp": 1, "fn": 0})
    assert res["per"]["trade"]["support"] == 1 and res["per"]["trade"]["f1"] == 0.0
    assert res["micro_p"] == pytest.approx(2 / 3) and res["micro_r"] == pytest.approx(0.5)
    assert res["meaningful"] == []  # no code has 3 positives: macro-F1 over them is not meaningful
    assert res["macro_f1_all"] == pytest.approx((0.8 + 0 + 0) / 3)


@pytest.mark.slow
def test_shipped_combination_on_the_dev_split(tagger) -> None:
    """A floor on the split the terms were changed on (the held-out figure is in bench/RESULTS.md):
    the combination finds most hand-given codes and beats the VNTC classifier alone by far."""
    from enrichment.training.train_topics import evaluate_labelled, load_labelled

    rows = load_labelled("dev")
    comb = evaluate_labelled(tagger, rows, "combined")
    clf = evaluate_labelled(tagger, rows, "classifier")
    assert comb["micro_f1"] >= 0.6, comb["micro_f1"]
    assert comb["micro_f1"] > clf["micro_f1"] + 0.3
    for group in ("vi", "en"):
        assert evaluate_labelled(tagger, rows, "combined", group)["micro_f1"] >= 0.55


def test_weak_terms_support_but_do_not_make_a_topic_alone(tagger) -> None:
    # one generic word, even repeated, is a passing mention ...
    text = "Anh Nam làm bảo vệ cho một công ty ở quận 7. Sáng nào anh cũng đến công ty từ 6 giờ để mở cổng."
    assert "economy" not in [t.code for t in tagger.tag("Một ngày của người bảo vệ công ty", text, "vi")]
    # ... several of them, or one specific term, make the topic
    text2 = text + " Lạm phát và lãi suất tăng khiến công ty cắt giảm chi phí."
    assert "economy" in [t.code for t in tagger.tag("Lạm phát tăng, công ty cắt giảm chi phí", text2, "vi")]
    assert tagger.term_scores("", "company", 0).get("economy", 0) < tagger.term_scores("", "inflation", 0)["economy"]


def test_diacritics_must_match_when_the_text_has_them(tagger) -> None:
    # folded, "hải quan" (customs) and "hải quân" (navy) are one word; so are "nhà thơ" (poet) and
    # "nhà thờ" (church)
    customs = tagger.terms.find("Nhân viên hải quan sân bay sách nhiễu bà con về quê.")
    assert "security_defence" not in {c for c, _, _ in customs}
    navy = tagger.terms.find("Tàu của hải quân tập trận.")
    assert ("security_defence", "hải quân") in {(c, t) for c, t, _ in navy}
    poet = tagger.terms.find("Nhà thơ đọc thơ tại hội sách.")
    assert "religion" not in {c for c, _, _ in poet}
    # text typed without diacritics still matches the terms
    assert "flooding" in {c for c, _, _ in tagger.terms.find("Trieu cuong gay ngap lut")}


def test_one_clear_term_is_enough_for_a_short_item_but_not_for_a_long_article(tagger) -> None:
    title = "Pensioner among latest jailed for rioting"
    short = "There were 21 convictions on Thursday, with more suspects appearing in court."
    assert "democracy" in [t.code for t in tagger.tag(title, short, "en")]
    filler = " ".join(["The council discussed the annual report on parks, libraries and bins."] * 30)
    long_text = filler + " One speaker recalled a riot decades ago."
    assert "democracy" not in [t.code for t in tagger.tag("Council meeting", long_text, "en")]


def test_the_classifier_weighs_less_on_short_vietnamese_items(tagger) -> None:
    """Fitted on full articles, the classifier must not outvote a clear term on a one-line feed item."""
    assert tagger.model is not None
    title, text = "Lâm Vinh Hải công khai tình yêu mới", "Nam vũ công quyết định công khai tình cảm với người mới."
    from enrichment.topics import MODEL_TERM_WEIGHT

    terms = tagger.term_scores(title, text, 60)["culture"]
    p = tagger.model.predict(f"{title}\n{text}")["culture"]
    full_weight = 1 - (1 - MODEL_TERM_WEIGHT * terms) * (1 - p * tagger.model.weight)  # as for a full article
    combined = tagger.score(title, text, "vi", 60)["culture"]
    assert terms >= 0.5 and full_weight < 0.5 <= combined
    assert "culture" in [t.code for t in tagger.tag(title, text, "vi", 60)]
    # a full-length article keeps the weights chosen on VNTC
    long_text = text + " " + "Anh chia sẻ về những dự định sắp tới trong năm nay." * 20
    q = tagger.model.predict(f"{title}\n{long_text[:3000]}")["culture"]
    t_long = tagger.term_scores(title, long_text, 60)["culture"]
    expected = 1 - (1 - MODEL_TERM_WEIGHT * t_long) * (1 - q * tagger.model.weight)
    assert tagger.score(title, long_text, "vi", 60)["culture"] == pytest.approx(expected)


def test_weak_terms_in_the_config_are_validated_and_counted(tmp_path) -> None:
    tf = load_topics(ROOT / "config")
    assert sum(len(v) for t in tf.topics.values() for v in t.weak_terms.values()) > 0
    n_strong = sum(len(v) for t in tf.topics.values() for v in t.terms.values())
    n_weak = sum(len(v) for t in tf.topics.values() for v in t.weak_terms.values())
    assert f"{n_strong + n_weak} terms" in check_config(ROOT / "config")
    # a typo in the key is an error naming the file and key, not a silently ignored list
    shutil.copytree(ROOT / "config", tmp_path / "config")
    p = tmp_path / "config" / "topics.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("    weak_terms:", "    weak_term:", 1), encoding="utf-8")
    from duluan.errors import ConfigError

    with pytest.raises(ConfigError, match=r"topics\.yaml.*weak_term"):
        load_topics(tmp_path / "config")


def test_scores_stay_bounded_for_any_length(tagger) -> None:
    for n in (0, 1, 50, 5000):
        text = "lũ lụt triều cường " * n
        for s in tagger.score("Ngập", text, "vi").values():
            assert 0.0 <= s <= 1.0 and not math.isnan(s)
    assert isinstance(TopicTagger.from_config(ROOT / "config"), TopicTagger)


def test_russian_stems_match_inflected_words(tagger) -> None:
    found = {(c, t) for c, t, _ in tagger.terms.find("Наводнение в городе, экономика страдает, инфляция растёт.")}
    assert {("flooding", "наводнени"), ("economy", "экономик"), ("economy", "инфляци")} <= found
    codes = [t.code for t in tagger.tag("Наводнение в Хошимине", "Сильные ливни вызвали наводнение в городе.", "ru")]
    assert codes[0] == "flooding"
    # a stem matches from the start of a word only
    assert "flooding" not in {c for c, _, _ in tagger.terms.find("Сверхнаводнение")}
