"""Extractive summaries: lead + central sentences mentioning the city, in the text's language."""

from __future__ import annotations

from enrichment.summary import apply_summary, split_sentences, summarize

from .conftest import make_article


def test_short_text_is_its_own_summary() -> None:
    assert summarize("Một câu duy nhất về thành phố.") == "Một câu duy nhất về thành phố."


def test_lead_plus_city_sentences_in_order() -> None:
    text = (
        "UBND TP.HCM vừa công bố kế hoạch chống ngập giai đoạn mới. "
        "Thời tiết hôm nay nắng nhẹ ở nhiều nơi. "
        "Kế hoạch chống ngập của TP.HCM tập trung vào các tuyến đường thường xuyên ngập. "
        "Một số ý kiến khác không liên quan. "
        "Giá rau củ ổn định."
    )
    starts = [text.find("TP.HCM"), text.rfind("TP.HCM")]
    s = summarize(text, starts)
    assert s.startswith("UBND TP.HCM vừa công bố")
    assert "Kế hoạch chống ngập của TP.HCM" in s
    assert len(split_sentences(s)) <= 3


def test_chinese_sentences() -> None:
    text = "胡志明市昨天发生严重内涝。多条道路被淹。市政府表示将加快排水工程。天气预报说明天晴。"
    s = summarize(text)
    assert s.startswith("胡志明市昨天发生严重内涝。") and " " not in s


def test_apply_summary_records_method() -> None:
    a = apply_summary(make_article("t", ""))
    assert a.summary == "t" and a.enrichment["summary"].startswith("lead+central@")
