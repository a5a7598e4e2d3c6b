"""Text normalisation: NFC, one tone-mark placement, folding."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from duluan.text import fold, has_diacritics, normalize_text, split_cjk


def test_old_and_new_tone_placement_become_one() -> None:
    for new_style, old_style in [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Hoà Bình", "Hòa Bình")]:
        assert normalize_text(new_style) == normalize_text(old_style) == old_style


def test_qu_and_gi_onsets_take_the_tone_on_the_vowel() -> None:
    assert normalize_text("qúy") == "quý"
    assert normalize_text("quý") == "quý"
    assert normalize_text("giá") == "giá"


def test_closed_syllables_are_untouched() -> None:
    for w in ("hoàng", "thuyền", "nguyễn", "tuổi", "người", "Thành phố Hồ Chí Minh"):
        assert normalize_text(w) == w


def test_nfd_input_is_composed() -> None:
    nfd = unicodedata.normalize("NFD", "Ngập lụt ở Sài Gòn")
    assert nfd != "Ngập lụt ở Sài Gòn"
    assert normalize_text(nfd) == "Ngập lụt ở Sài Gòn"


def test_foreign_words_are_not_retoned() -> None:
    for w in ("réunion", "été", "Hô-Chi-Minh-Ville", "Saïgon", "naïve"):
        assert normalize_text(w) == w


def test_quotes_dashes_spaces_and_controls() -> None:
    assert normalize_text("\u201cTP.HCM\u201d \u2013 mưa\u00a0lớn\u200b\x07") == '"TP.HCM" - mưa lớn'


def test_fold() -> None:
    assert fold("Đà Nẵng ngập lụt") == "da nang ngap lut"
    assert fold("Hô-Chi-Minh-Ville") == "ho-chi-minh-ville"
    assert has_diacritics("ngập") and not has_diacritics("ngap")


def test_split_cjk() -> None:
    assert split_cjk("胡志明市").split() == ["胡", "志", "明", "市"]
    assert split_cjk("abc") == "abc"


@given(st.text())
def test_normalize_never_raises_and_is_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    fold(once)
