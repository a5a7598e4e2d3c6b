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


def two_word_snippets(lang: str, n: int = 250, seed: int = 20261122) -> list[str]:
    """A random two-word window of each held-out sentence, as bench/eval_enrichment.py takes them."""
    import random

    rnd = random.Random(seed)
    out = []
    for s in heldout(lang, n):
        w = s.split()
        if len(w) >= 2:
            i = rnd.randrange(len(w) - 1)
            out.append(" ".join(w[i : i + 2]))
    return out


@pytest.mark.parametrize("lang", CORE_LATIN)
def test_two_word_snippets_per_office_language(identifier, lang: str) -> None:
    """Each Latin-script office language on its own (the benchmark reports the exact figures; a
    different random window than the benchmark's, so this is not the benchmark's number)."""
    sn = two_word_snippets(lang, seed=7)
    ok = sum(identifier.identify(s).language == lang for s in sn)
    assert ok / len(sn) >= 0.85, (lang, ok, len(sn))


@pytest.mark.parametrize(("text", "lang"), [
    ("de los", "es"), ("para el", "es"), ("of the", "en"), ("has been", "en"), ("und die", "de"),
    ("nicht mehr", "de"), ("les enfants", "fr"), ("avec des", "fr"), ("thanh pho", "vi"),
    ("nguoi dan", "vi"),
])
def test_function_words_decide_two_word_snippets(identifier, text: str, lang: str) -> None:
    r = identifier.identify(text)
    assert r.language == lang and "words" in r.method, (text, r)


@pytest.mark.parametrize(("text", "lang"), [
    ("ទីក្រុង ហូជីមិញ", "km"), ("ນະຄອນ ໂຮ່ຈິມິນ", "lo"), ("กรุงเทพ มหานคร", "th"),
    ("홍수 발생", "ko"), ("洪水が発生", "ja"), ("发生洪水", "zh"), ("Хошимин город", "ru"),
])
def test_short_snippets_in_other_scripts(identifier, text: str, lang: str) -> None:
    r = identifier.identify(text)
    assert r.language == lang and r.confidence >= 0.8, (text, r)


def test_word_model_is_shipped_and_small() -> None:
    from enrichment.language import MODEL_FILE, load_word_model

    model = load_word_model()
    assert model is not None and MODEL_FILE.stat().st_size < 2_000_000
    assert {"vi", "en", "fr", "de", "es"} <= set(model["languages"])
    for table in model["languages"].values():
        assert table["total"] >= sum(table["words"].values()) * 0.5 and table["words"]


def test_without_the_word_model_characters_still_decide(repo_settings) -> None:
    """A missing model file degrades to py3langid + langdetect instead of failing."""
    from enrichment.language import LanguageIdentifier

    bare = LanguageIdentifier(repo_settings.enrichment.languages, word_model={})
    for lang in CORE_LATIN:
        sents = heldout(lang, 40)
        ok = sum(bare.identify(s).language == lang for s in sents)
        assert ok / len(sents) >= 0.95, (lang, ok)
    assert "words" not in bare.identify("la vez de los").method


def test_training_counts_make_a_usable_model(repo_settings) -> None:
    """The training script's counting on a little text gives a model the identifier accepts."""
    from enrichment.language import LanguageIdentifier
    from enrichment.training.train_language import count

    def dev(lang: str) -> list[str]:
        return (FIX / "langid" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:20]

    corpora = {"es": dev("es"), "fr": dev("fr"), "en": dev("en")}
    model = count(corpora, stop_k=50)
    assert model["languages"]["es"]["words"]["de"] > 0 and model["languages"]["fr"]["suffixes"]
    ident = LanguageIdentifier(["es", "fr", "en"], word_model=model)
    assert ident.identify("de los").language == "es"
    assert ident.identify("the city").language == "en"


def test_snippet_confidence_is_a_probability(identifier) -> None:
    for text in ("de la", "Saigon", "a", "OK", "Ho Chi Minh", "x y z", "Ã¤ Ã¶"):
        r = identifier.identify(text)
        assert 0.0 <= r.confidence <= 1.0 and (r.language == "und") == (r.confidence == 0.0), (text, r)


@pytest.mark.parametrize(("text", "lang"), [
    ("März 1796 wurde die Stadt gegründet".encode().decode("cp1252"), "de"),
    ("MÃ¤rz 1796", "de"),
    ("Thành phố Hồ Chí Minh mưa lớn".encode().decode("cp1252", errors="replace"), "vi"),
    ("SÃO PAULO", "pt"),
])
def test_mojibake_is_undone_for_identification(identifier, text: str, lang: str) -> None:
    """UTF-8 read as cp1252 is repaired before the statistics; a genuine "Ã" is left alone."""
    from enrichment.language import repair_mojibake

    assert identifier.identify(text).language == lang
    if "SÃO" in text:
        assert repair_mojibake(text) == text
