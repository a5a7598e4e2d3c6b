"""Normalisation: NFC, one tone-mark placement, quotes/dashes/spaces, mojibake, boilerplate."""

from __future__ import annotations

import unicodedata

from enrichment.normalize import fix_mojibake, normalize, normalize_article_text, strip_boilerplate

from .conftest import make_article


def test_tone_marks_old_and_new_style_become_one() -> None:
    assert normalize_article_text("hoà thuỷ qúy") == normalize_article_text("hòa thủy quý") == "hòa thủy quý"


def test_nfd_input_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Thành phố Hồ Chí Minh ngập nặng")
    out = normalize_article_text(nfd)
    assert out == "Thành phố Hồ Chí Minh ngập nặng"
    assert unicodedata.is_normalized("NFC", out)


def test_quotes_dashes_spaces_and_control_characters() -> None:
    assert normalize_article_text("\u201cTP.HCM\u201d \u2013 ng\u00e0y\u00a0m\u1edbi\u200b\x07") == '"TP.HCM" - ngày mới'


def test_utf8_read_as_cp1252_is_repaired() -> None:
    good = "Thành phố Hồ Chí Minh: kẹt xe ở Sài Gòn"
    broken = good.encode("utf-8").decode("cp1252", errors="replace")
    assert broken != good
    assert fix_mojibake(broken).startswith("Thành phố Hồ Chí Minh")


def test_correct_text_with_latin1_letters_is_left_alone() -> None:
    for s in ("Ça coûte cher à Saïgon", "Grüße aus München", "Ã la carte"):
        assert fix_mojibake(s) == s


def test_boilerplate_lines_are_dropped_but_text_is_kept() -> None:
    text = "Mưa lớn gây ngập nhiều tuyến đường.\nXem thêm: Dự báo thời tiết\nẢnh: Hữu Khoa\nChia sẻ với phóng viên, ông A cho biết sẽ khắc phục."
    out = strip_boilerplate(text)
    assert "Xem thêm" not in out and "Ảnh: Hữu Khoa" not in out
    assert out.startswith("Mưa lớn") and "Chia sẻ với phóng viên" in out


def test_normalize_records_method_and_keeps_fields() -> None:
    a = normalize(make_article("Thuỷ triều  dâng", "Nước   lên\u00a0cao."))
    assert a.title == "Thủy triều dâng" and a.text == "Nước lên cao."
    assert a.enrichment["normalize"].startswith("normalize@")
