"""The word model of the language identifier: real word frequencies (wordfreq), the lost-letter
forms of a transcoded corpus, the matrix that holds the tables, and the training script's
cross-validation helpers — on the development half only (the held-out half is the benchmark's)."""

from __future__ import annotations

import math

import pytest

from duluan.text import normalize_text

from .conftest import FIX


def dev_sentences(lang: str, n: int = 40) -> list[str]:
    lines = [normalize_text(x.strip()) for x in (FIX / "langid" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
             if x.strip()]
    return lines[: len(lines) // 2][:n]


def test_frequencies_are_real_word_frequencies() -> None:
    """wordfreq gives the function words their real weight: "la" is far more frequent in Spanish
    than in French, which rank-based stop-word pseudo counts could not say."""
    from enrichment.training.train_language import frequencies

    es, fr = frequencies("es", 1_000_000), frequencies("fr", 1_000_000)
    assert es["de"] > es["la"] > es["casa"] > 0
    assert es["la"] > 1.3 * fr["la"]
    assert 800_000 < sum(es.values()) <= 1_000_000
    assert not frequencies("ms", 1_000_000) and not frequencies("id", 1_000_000)  # skipped by --cv
    assert not frequencies("es", 0)


def test_shipped_model_knows_words_with_and_without_their_accents() -> None:
    """A corpus that lost its accented letters ("más" → "ms") reads like the original."""
    from enrichment.language import load_word_model

    model = load_word_model()
    assert model is not None
    es, pt = model["languages"]["es"]["words"], model["languages"]["pt"]["words"]
    assert es["también"] > 0 and es["tambin"] > 0 and es["más"] > 0 and es["ms"] > 0
    assert es["la"] > 10 * pt.get("la", 0)
    # only the Latin-script languages are kept: the others are decided by script or py3langid
    assert not {"zh", "ja", "ko", "ru", "th", "ar"} & set(model["languages"])


def test_two_significant_digits() -> None:
    from enrichment.training.train_language import _two_digits

    assert [_two_digits(n) for n in (7, 99, 100, 12345, 987654, 1049)] == [7, 99, 100, 12000, 990000, 1000]


def test_matrix_holds_the_same_log_probabilities_as_the_tables(identifier) -> None:
    """The one-lookup-per-word matrix equals the per-language tables (unseen words included)."""
    for j, lang in enumerate(identifier._order):
        table, miss = identifier._words[lang], identifier._unseen[lang]
        for word in ("de", "the", "und", "também", "tambin", "kota", "thành"):
            row = identifier._row.get(word, -1)
            expected = table.get(word, miss) if row >= 0 else miss
            assert math.isclose(float(identifier._matrix[row, j]), expected, rel_tol=1e-5), (lang, word)
    assert "vi" not in identifier._order and identifier._words["vi"]


@pytest.mark.parametrize(("text", "lang"), [
    ("de la", "es"), ("que el", "es"), ("ms de", "es"), ("también se", "es"), ("de las", "es"),
    ("y los", "es"), ("et les", "fr"), ("à la", "fr"), ("of a", "en"), ("die Stadt", "de"),
])
def test_frequent_function_word_pairs(identifier, text: str, lang: str) -> None:
    """Pairs that are far more frequent in one language than in its neighbours."""
    r = identifier.identify(text)
    assert r.language == lang and "words" in r.method, (text, r)


def test_word_term_uses_the_first_words_of_a_long_text(identifier) -> None:
    """Long text: the word term and py3langid agree; a long text costs no more words than
    MAX_TEXT_WORDS."""
    from enrichment.language import MAX_TEXT_WORDS

    text = " ".join(dev_sentences("es", 30))
    assert len(text.split()) > MAX_TEXT_WORDS
    r = identifier.identify(text)
    assert r.language == "es" and r.confidence > 0.9 and "words" in r.method


def test_cross_validation_windows_and_folds(capsys) -> None:
    """--cv's helpers: every two-word window of a sentence, and a fold split that never leaves
    the development half."""
    from enrichment.training.train_language import dev_half, windows

    assert windows("a b c d") == ["a b", "b c", "c d"] and windows("one") == []
    dev = dev_half()
    full = (FIX / "langid" / "es.txt").read_text(encoding="utf-8").splitlines()
    assert len(dev["es"]) == len([x for x in full if x.strip()]) // 2
    heldout = {normalize_text(x.strip()) for x in full[len(full) // 2 :]}
    assert not heldout & set(dev["es"])
