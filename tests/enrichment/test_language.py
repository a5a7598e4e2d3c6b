"""Language identification on real news sentences (the held-out half of each file), short
snippets, scripts without statistics, the page-language prior and the body-over-title rule."""

from __future__ import annotations

import pytest

from duluan.text import fold, normalize_text
from enrichment.language import identify_article

from .conftest import FIX, make_article

CORE_LATIN = ["vi", "en", "fr", "de", "es"]
SCRIPTED = ["zh", "ja", "ko", "ru", "th"]


def heldout(lang: str, n: int = 100) -> list[str]:
    lines = [normalize_text(x.strip()) for x in (FIX / "langid" / f"{lang}.txt").read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines[len(lines) // 2 :][:n]


@pytest.mark.parametrize("lang", CORE_LATIN + SCRIPTED)
def test_sentences_of_the_office_languages(identifier, lang: str) -> None:
    sents = heldout(lang)
    ok = sum(identifier.identify(s).language == lang for s in sents)
    assert ok / len(sents) >= 0.97, (lang, ok)


def test_two_word_snippets_mostly_right(identifier) -> None:
    total = ok = 0
    for lang in CORE_LATIN:
        for s in heldout(lang, 60):
            w = s.split()
            if len(w) >= 4:
                total += 1
                ok += identifier.identify(" ".join(w[1:3])).language == lang
    assert ok / total >= 0.8, ok / total


def test_vietnamese_without_diacritics(identifier) -> None:
    sents = [fold(s) for s in heldout("vi")]
    ok = sum(identifier.identify(s).language == "vi" for s in sents)
    assert ok / len(sents) >= 0.9


@pytest.mark.parametrize(("text", "lang"), [
    ("ទីក្រុងហូជីមិញ ជាទីក្រុងធំបំផុតរបស់ប្រទេសវៀតណាម", "km"),
    ("ນະຄອນໂຮ່ຈິມິນ ແມ່ນເມືອງໃຫຍ່ທີ່ສຸດຂອງຫວຽດນາມ", "lo"),
    ("호찌민시에서 홍수가 발생했다", "ko"),
    ("ホーチミン市で洪水が発生した", "ja"),
    ("胡志明市发生洪水", "zh"),
])
def test_scripts_decide_without_statistics(identifier, text: str, lang: str) -> None:
    r = identifier.identify(text)
    assert r.language == lang and r.confidence >= 0.8


def test_hint_breaks_a_tie_but_not_clear_text(identifier) -> None:
    assert identifier.identify("Hôtel Continental", hint="fr").language == "fr"
    assert identifier.identify("The city council approved the new metro budget on Monday.", hint="fr").language == "en"


def test_body_decides_not_the_short_title(identifier) -> None:
    body = "Mưa lớn kéo dài từ chiều qua khiến nhiều tuyến đường ở trung tâm thành phố ngập sâu, " * 4
    a = identify_article(identifier, make_article("Saigon Marathon 2026", body))
    assert a.language == "vi" and a.language_confidence > 0.9
    assert a.enrichment["language"].startswith("script+py3langid+langdetect+words@")


def test_nothing_to_identify_is_unknown(identifier) -> None:
    for s in ("", "   ", "12345 !!!", "\x00\x01"):
        r = identifier.identify(s)
        assert r.language == "und" and r.confidence == 0.0
