"""Relevance to the city: names in every language, traps, offsets, and the score on the
hand-labelled set (bench/data/relevance_labels.jsonl, copied from real articles)."""

from __future__ import annotations

import json

import pytest

from duluan.text import normalize_text
from enrichment.normalize import normalize
from enrichment.relevance import apply_relevance

from .conftest import ROOT, make_article


def found(matcher, text: str) -> list[tuple[str, bool]]:
    t = normalize_text(text)
    return [(m.alias, m.weak) for m in matcher.mentions(t, "")]


@pytest.mark.parametrize(("text", "alias"), [
    ("Kẹt xe kéo dài ở TP.HCM chiều qua", "TP.HCM"),
    ("Ket xe o tp hcm chieu qua", "tp hcm"),
    ("Mưa lớn ở TP. HCM", "TP. HCM"),
    ("Flooding in Ho Chi Minh City", "Ho Chi Minh City"),
    ("HCMC metro opens", "HCMC"),
    ("Inondations à Hô-Chi-Minh-Ville", "Hô-Chi-Minh-Ville"),
    ("胡志明市发生洪水", "胡志明市"),
    ("ホーチミン市で洪水", "ホーチミン市"),
    ("Наводнение в Хошимине", "Хошимине"),
    ("호찌민시 홍수", "호찌민시"),
    ("Ngập ở Q.Bình Thạnh", "Q.Bình Thạnh"),
    ("Khánh thành metro Bến Thành - Suối Tiên", "metro Bến Thành - Suối Tiên"),
])
def test_city_names_in_every_language(matcher, text: str, alias: str) -> None:
    assert (alias, False) in found(matcher, text)


@pytest.mark.parametrize("text", [
    "Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập",
    "Học tập và làm theo tư tưởng Hồ Chí Minh",
    "Xây dựng đường Hồ Chí Minh qua Thanh Hóa",
    "Cycling the Ho Chi Minh Trail",
    "President Ho Chi Minh declared independence",
    "Lăng Chủ tịch Hồ Chí Minh mở cửa trở lại",
    "胡志明主席",
    "Học sinh chọn học môn tin học",  # not Hóc Môn
    "cử chỉ âu yếm",  # not Củ Chi
])
def test_traps_are_not_the_city(matcher, text: str) -> None:
    assert found(matcher, text) == []


def test_brand_names_are_weak_evidence(matcher) -> None:
    assert found(matcher, "Doanh thu của Bia Saigon tăng") == [("Saigon", True)]
    a = apply_relevance(matcher, make_article("Bia Saigon ra mắt sản phẩm mới", "Bia Saigon tăng trưởng mạnh."))
    b = apply_relevance(matcher, make_article("Kẹt xe ở Sài Gòn", "Sài Gòn kẹt xe."))
    assert a.relevance < 0.5 <= b.relevance


def test_offsets_point_at_the_alias_in_title_lead_and_body(matcher) -> None:
    body = "Sáng nay, UBND TP.HCM họp bàn chống ngập.\n" + "Nội dung cuộc họp. " * 40 + "Quận 7 có nhiều điểm ngập."
    a = apply_relevance(matcher, normalize(make_article("Sài Gòn chống ngập", body)))
    fields = {m.field for m in a.mentions}
    assert fields == {"title", "lead", "body"}
    for m in a.mentions:
        src = a.title if m.field == "title" else a.text
        assert src[m.start : m.end] == m.alias
    assert a.relevance > 0.9




def test_title_mention_outweighs_a_passing_body_mention(matcher) -> None:
    filler = "Giá xăng dầu trong nước biến động theo giá thế giới, các doanh nghiệp đầu mối cho biết. " * 30
    passing = apply_relevance(matcher, make_article("Giá xăng tăng", filler + " Tại TP.HCM giá cũng tăng."))
    leading = apply_relevance(matcher, make_article("TP.HCM: giá xăng tăng", "TP.HCM ghi nhận giá xăng tăng. " + filler))
    assert passing.relevance < 0.5 < leading.relevance


def test_labelled_set_dev_split(matcher) -> None:
    """The relevance model was fit on this split; it must separate it well (held-out figures are
    in bench/RESULTS.md)."""
    rows = [json.loads(x) for x in (ROOT / "bench" / "data" / "relevance_labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 300
    dev = [r for r in rows if r["split"] == "dev"]
    tp = fp = fn = 0
    for r in dev:
        a = apply_relevance(matcher, normalize(make_article(r["title"], r["text"])))
        pred = a.relevance >= 0.5
        tp += pred and r["label"]
        fp += pred and not r["label"]
        fn += (not pred) and r["label"]
    assert tp / (tp + fp) >= 0.85 and tp / (tp + fn) >= 0.8, (tp, fp, fn)


def test_another_city_file_works_the_same_way(repo_settings) -> None:
    """The matcher is driven by the city file: Hà Nội's names, its own traps and weak brands."""
    from duluan.settings import load_city
    from enrichment.relevance import CityMatcher

    hanoi = CityMatcher(load_city(repo_settings, "hanoi"))
    a = apply_relevance(hanoi, make_article("Hà Nội cấm xe máy ở phố cổ", "UBND TP Hà Nội vừa thông qua đề án; Hoàn Kiếm thí điểm trước."))
    assert a.relevance > 0.5 and {m.alias for m in a.mentions} >= {"Hà Nội", "UBND TP Hà Nội", "Hoàn Kiếm"}
    b = apply_relevance(hanoi, make_article("Bia Hà Nội tăng giá", "Habeco cho biết Bia Hà Nội tăng giá từ tháng sau."))
    assert b.relevance < 0.5
    c = apply_relevance(hanoi, make_article("Kẹt xe ở TP.HCM", "Kẹt xe nghiêm trọng ở TP.HCM."))
    assert c.mentions == [] and c.relevance == 0.0
