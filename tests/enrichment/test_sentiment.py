"""Sentiment toward the city: shipped models, held-out quality floors, article aggregation with
city weighting, domain terms and negation, determinism and bad input."""

from __future__ import annotations

import csv
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duluan.models import Article, Mention, Review
from enrichment.sentiment import evaluate, load_sentiment_model, macro_f1, mark_negation, split_sentences

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "enrichment" / "sentiment"


def _rows(name: str) -> tuple[list[str], list[int]]:
    with open(FIX / name, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["text"] for r in rows], [int(r["label"]) for r in rows]


def _article(title: str, text: str, language: str = "vi", mentions: list[Mention] | None = None, **kw) -> Article:
    return Article(id="a" * 32, url="https://example.vn/a", canonical_url="https://example.vn/a", source_id="t",
                   title=title, text=text, language=language, published_at=datetime(2026, 10, 1, tzinfo=UTC),
                   mentions=mentions or [], **kw)


@pytest.fixture(scope="module")
def model():
    return load_sentiment_model()


def _no_embeddings_model():
    from duluan.settings import Settings

    s = Settings()
    s.enrichment.embeddings = False
    return load_sentiment_model(s)


def test_vietnamese_heldout_macro_f1() -> None:
    """The TF-IDF model (every Vietnamese sentence without embeddings, non-city sentences with)."""
    texts, labels = _rows("vi_uit_vsfc_heldout.tsv")
    res = evaluate(texts, labels, "vi", _no_embeddings_model())
    assert res["method"] == "lr-tfidf-vi"
    assert res["n"] == 1583
    assert res["macro_f1"] >= 0.75, res  # measured 0.751 (0.794 before session 3 weighted the news up); target 0.70


@pytest.mark.slow
def test_vietnamese_e5_model_heldout(model) -> None:
    """The e5 model city sentences get when embeddings are on: better on news, worse on student
    feedback (trained on 3,000 UIT-VSFC sentences only, weighted 0.5 against the news since session 3)."""
    texts, labels = _rows("vi_news_heldout.tsv")
    news = evaluate(texts, labels, "vi", model)
    assert news["method"] == "lr-tfidf-vi+e5"
    assert news["macro_f1"] >= 0.67, news  # measured 0.700 on 260 rows (TF-IDF model: 0.596)
    texts, labels = _rows("vi_uit_vsfc_heldout.tsv")
    uit = evaluate(texts, labels, "vi", model)
    # measured 0.667 (session 2: 0.742, lowered by weighting the news up; the TF-IDF model, which scores
    # every non-city sentence, keeps 0.751) — this model only scores news sentences that mention the city
    assert uit["macro_f1"] >= 0.64, uit


def test_vietnamese_news_heldout_is_better_than_majority(model) -> None:
    texts, labels = _rows("vi_news_heldout.tsv")
    res = evaluate(texts, labels, "vi", model)
    majority = macro_f1(labels, [0] * len(labels))["macro_f1"]
    assert res["macro_f1"] >= majority + 0.3, (res, majority)


def test_english_heldout_beats_vader_floor(model) -> None:
    texts, labels = _rows("en_newsmtsc_heldout.tsv")
    res = evaluate(texts, labels, "en", model)
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    v = SentimentIntensityAnalyzer()
    vader_pred = [1 if (c := v.polarity_scores(t)["compound"]) >= 0.05 else -1 if c <= -0.05 else 0 for t in texts]
    floor = macro_f1(labels, vader_pred)["macro_f1"]
    assert res["macro_f1"] > floor + 0.05, (res, floor)
    assert res["macro_f1"] >= 0.60, res  # measured 0.647 sentence-level (no target; 0.636 before lexicon v2); toward targets see below


def _targets_heldout() -> tuple[list[str], list[int], list[list[tuple[int, int]]]]:
    """The NewsMTSC held-out fifth with its annotated targets (split=heldout rows of the training
    data file; the same 1,403 sentences as en_newsmtsc_heldout.tsv)."""
    p = Path(__file__).resolve().parents[2] / "enrichment" / "training" / "data" / "sentiment" / "en_newsmtsc_targets.tsv"
    texts, labels, spans = [], [], []
    with open(p, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            tg = [tuple(int(v) for v in t.split(":")) for t in r["targets"].split(";") if t]
            if r["split"] == "heldout" and len({t[2] for t in tg}) == 1:
                texts.append(r["text"]), labels.append(tg[0][2]), spans.append([(t[0], t[1]) for t in tg])
    return texts, labels, spans


def test_english_heldout_toward_targets_without_embeddings() -> None:
    from duluan.settings import Settings

    s = Settings()
    s.enrichment.embeddings = False  # the TF-IDF model, the one used when embeddings are off
    m = load_sentiment_model(s)
    texts, labels, spans = _targets_heldout()
    held_texts, _ = _rows("en_newsmtsc_heldout.tsv")
    assert len(texts) == len(held_texts) == 1403
    assert {" ".join(t.split()) for t in texts} == {" ".join(t.split()) for t in held_texts}
    res = evaluate(texts, labels, "en", m, targets=spans)
    assert res["method"] == "lr-tfidf-target-en"
    assert res["macro_f1"] >= 0.64, res  # measured 0.666 (target 0.70)


@pytest.mark.slow
def test_english_heldout_toward_targets_with_e5(model) -> None:
    """The issue's target (en >= 0.70) is met where embeddings are on: the e5 model over the city
    sentence (~1,400 e5 calls, about a minute)."""
    texts, labels, spans = _targets_heldout()
    res = evaluate(texts, labels, "en", model, targets=spans)
    assert res["method"] == "lr-tfidf-target-e5-en"
    assert res["macro_f1"] >= 0.70, res  # measured 0.727 (lexicon v2)


def test_english_tone_is_toward_the_target(model) -> None:
    text = "Critics praised Hanoi while Ho Chi Minh City was blamed for the failed flood defences."
    hcmc = text.index("Ho Chi Minh City")
    toward_city = model.sentence_scores([text], "en", [(hcmc, hcmc + 16)])[0]
    toward_hanoi = model.sentence_scores([text], "en", [(16, 21)])[0]
    assert toward_city < toward_hanoi


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("Nhiều tuyến phố ở quận Bình Thạnh ngập nặng, xe chết máy hàng loạt.", "vi", -1),
    ("Giờ cao điểm sáng nay, kẹt xe kéo dài trên cầu Sài Gòn.", "vi", -1),
    ("Một số tài khoản mạng xã hội đăng tin sai sự thật về dịch bệnh.", "vi", -1),
    ("Nguyên phó giám đốc bị bắt vì tham nhũng đất đai.", "vi", -1),
    ("Khu công nghệ cao thu hút thêm dự án đầu tư kỷ lục.", "vi", 1),
    ("Floods swamped several districts and stranded commuters.", "en", -1),  # was a strict xfail before lexicon v2
    ("Authorities announced a crackdown on bloggers critical of the government.", "en", -1),
    ("Heavy rain flooded dozens of streets and residents complained about the failed drainage project.", "en", -1),
    ("The province drew record investment from Japanese manufacturers.", "en", 1),
])
def test_domain_terms(model, text: str, lang: str, expected: int) -> None:
    assert model.predict([text], lang) == [expected]


def test_negation_changes_the_tone(model) -> None:
    neg = model.sentence_scores(["Khu dân cư này ngập sâu sau mưa."], "vi")[0]
    negated = model.sentence_scores(["Khu dân cư này không còn ngập sau mưa."], "vi")[0]
    assert negated > neg + 0.2
    en_pos = model.sentence_scores(["The reform was a success."], "en")[0]
    en_neg = model.sentence_scores(["The reform was not a success."], "en")[0]
    assert en_neg < en_pos - 0.2
    assert mark_negation(["không", "ngập", "nữa", "và", "đẹp", ".", "x"], {"không"}, 2) == \
        ["không", "NOT_ngập", "NOT_nữa", "và", "đẹp", ".", "x"]


def test_apply_weights_sentences_that_mention_the_city(model) -> None:
    text = ("Hà Nội đón lượng khách du lịch kỷ lục, doanh thu tăng trưởng mạnh. "
            "Trong khi đó TP.HCM ngập nặng, kẹt xe kéo dài nhiều giờ, người dân bức xúc.")
    start = text.index("TP.HCM")
    mention = [Mention(alias="TP.HCM", field="body", start=start, end=start + 6)]
    with_city = model.apply(_article("Tin tổng hợp", text, mentions=mention, relevance=0.9))
    without = model.apply(_article("Tin tổng hợp", text))
    assert with_city.sentiment is not None and without.sentiment is not None
    assert with_city.sentiment.label == -1
    assert with_city.sentiment.score < without.sentiment.score
    assert with_city.enrichment["sentiment"] == with_city.sentiment.method == "lr-tfidf-vi@2-e5"
    # an article below the relevance threshold stays on the TF-IDF model (no embedding spent on it)
    passing = model.apply(_article("Tin tổng hợp", text, mentions=mention, relevance=0.2))
    assert passing.enrichment["sentiment"] == "lr-tfidf-vi@2"
    assert passing.sentiment is not None and passing.sentiment.label == -1
    plain = _no_embeddings_model().apply(_article("Tin tổng hợp", text))
    assert plain.enrichment["sentiment"] == "lr-tfidf-vi@2"


def test_apply_english_and_other_languages(model) -> None:
    en = model.apply(_article("Ho Chi Minh City hit by severe flooding",
                              "Heavy rain flooded dozens of streets. Residents complained about the failed drainage project.",
                              language="en"))
    assert en.sentiment is not None and en.sentiment.label == -1
    fr = model.apply(_article("Hô Chi Minh-Ville attire des investissements record",
                              "La ville a attiré un montant record d'investissements étrangers cette année.", language="fr"))
    assert fr.sentiment is not None and fr.enrichment["sentiment"] in ("e5-lr-xx@2", "none@2")
    und = model.apply(_article("???", "", language="und"))
    assert und.sentiment is not None and und.sentiment.label in (-1, 0, 1)


def test_corrections_are_not_touched(model) -> None:
    a = _article("TP.HCM ngập nặng", "Đường phố ngập sâu.", review=Review(reviewed=True, sentiment=1))
    out = model.apply(a)
    assert out.review.sentiment == 1 and out.effective_sentiment() == 1
    assert out.sentiment is not None and out.sentiment.label == -1


def test_deterministic(model) -> None:
    a = _article("TP.HCM: cháy lớn tại công ty giày da", "Thiệt hại ban đầu ước tính 10 tỷ đồng. Không ai bị thương.")
    assert model.apply(a) == model.apply(a)
    assert load_sentiment_model() is model


def test_split_sentences_offsets() -> None:
    text = "Câu một. Câu hai!\nCâu ba"
    assert [text[a:b] for a, b in split_sentences(text)] == ["Câu một.", "Câu hai!", "Câu ba"]


def test_huge_input_is_bounded(model) -> None:
    big = ("TP.HCM ngập nặng sau mưa lớn. " * 200_000)[:5_000_000]
    out = model.apply(_article("Mưa lớn", big, mentions=[Mention(alias="TP.HCM", field="body", start=0, end=6)]))
    assert out.sentiment is not None and out.sentiment.label == -1


_texts = st.one_of(
    st.just(""), st.just("ngập"), st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from([
        unicodedata.normalize("NFD", "Thành phố Hồ Chí Minh không ngập"),
        "TP.HCM 胡志明市 ホーチミン Хошимин ngập lụt \x00\x07\u200b",
        "ThÃ nh phá»‘ Há»“ ChÃ­ Minh",  # UTF-8 read as cp1252
        "\ufeff\u202e\u0301\u0301\u0301",
    ]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_texts, text=_texts, lang=st.sampled_from(["vi", "en", "und", "zh", "xx"]),
       start=st.integers(min_value=-5, max_value=400))
def test_bad_input_never_raises(model, title: str, text: str, lang: str, start: int) -> None:
    m = Mention(alias="x", field="body", start=start, end=start + 3)
    out = model.apply(_article(title, text, language=lang, mentions=[m]))
    assert out.sentiment is not None
    assert -1.0 <= out.sentiment.score <= 1.0
    assert out.sentiment.label in (-1, 0, 1)


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "bad", "good"), [
    ("fr", "Les inondations ont paralysé la ville, des milliers d'habitants sont bloqués.",
     "La ville a inauguré un nouveau parc, salué par les habitants."),
    ("zh", "胡志明市遭遇严重洪水，交通瘫痪。", "胡志明市吸引外资创历史新高。"),
    ("ja", "ホーチミン市で大規模な洪水が発生し、交通がまひした。", "ホーチミン市への外国投資が過去最高を記録した。"),
    ("ru", "Ливни затопили Хошимин, транспорт парализован.", "Хошимин привлёк рекордные иностранные инвестиции."),
])
def test_other_languages_by_embeddings(model, lang: str, bad: str, good: str) -> None:
    neg, pos = model.sentence_scores([bad, good], lang)
    assert neg < pos
    assert model.method(lang) == "e5-lr-xx"


def test_e5_sentences_zero_uses_the_tfidf_models() -> None:
    from duluan.settings import Settings

    s = Settings()
    s.enrichment.sentiment_e5_sentences = 0
    m = load_sentiment_model(s)
    text = "Trong khi đó TP.HCM ngập nặng, kẹt xe kéo dài nhiều giờ."
    out = m.apply(_article("Tin tổng hợp", text, mentions=[Mention(alias="TP.HCM", field="body", start=13, end=19)]))
    assert out.enrichment["sentiment"] == "lr-tfidf-vi@2" and out.sentiment is not None and out.sentiment.label == -1
    assert m.method("en") == "lr-tfidf-target-en"


def test_embeddings_off_gives_recorded_neutral() -> None:
    from duluan.settings import Settings

    s = Settings()
    s.enrichment.embeddings = False
    m = load_sentiment_model(s)
    out = m.apply(_article("胡志明市遭遇严重洪水", "交通瘫痪。", language="zh"))
    assert out.sentiment is not None and out.sentiment.label == 0 and out.enrichment["sentiment"] == "none@2"


def test_english_lexicon_matches_inflections() -> None:
    """The English domain lexicon (version 2) matches regular inflections of its terms and the
    press-work vocabulary of hostile-distortion coverage; version 1 (whole words, kept for models
    trained with it) did not."""
    from enrichment.sentiment import inflections, lexicon_features

    assert {"distorts", "distorted", "distorting"} <= inflections("distort")
    assert {"accuses", "accused", "accusing"} <= inflections("accuse")
    assert {"bans", "banned", "banning"} <= inflections("ban")
    assert {"denies", "denied"} <= inflections("deny")
    for text in ("Officials were accused of distorting the history of the islands.",
                 "The statements were misleading, the report said.",
                 "Police detained three activists and silenced critics of the plan.",
                 "The group said the distortions were propaganda meant to suppress dissent."):
        neg, pos = lexicon_features(text, "en")
        assert neg > 0.4 and pos == 0.0, (text, neg, pos)
    old_neg, _ = lexicon_features("The statements were misleading, the report said.", "en", lex_version=1)
    assert old_neg == 0.0
    neg, pos = lexicon_features("Investors praised the city and hailed its record growth.", "en")
    assert pos > 0.7 and neg == 0.0
    # negation still flips a hit to the other side
    neg, pos = lexicon_features("The city has not been accused of anything.", "en")
    assert neg == 0.0 and pos > 0.0


_FOREIGN_NEG = [
    ("Rights group accuses Ho Chi Minh City officials of silencing critics",
     "A rights group accused officials in Ho Chi Minh City on Tuesday of detaining bloggers and silencing critics "
     "of a land clearance project. The group said statements by the city were misleading and that the arrests "
     "were meant to suppress dissent."),
    ("Ho Chi Minh City accused of distorting flood figures",
     "Residents and analysts accused Ho Chi Minh City authorities of distorting the figures on flooded streets. "
     "Critics said the official account was misleading and that complaints had been ignored."),
]
_FOREIGN_POS = [
    ("Ho Chi Minh City hailed for record foreign investment",
     "Ho Chi Minh City was praised by investors on Monday after it attracted record foreign investment. "
     "Business groups hailed the city's improved services and its thriving technology parks."),
]


def _foreign(title: str, text: str) -> Article:
    mentions = []
    for field, s in (("title", title), ("body", text)):
        i = s.find("Ho Chi Minh City")
        while i >= 0:
            mentions.append(Mention(alias="Ho Chi Minh City", field=field, start=i, end=i + 16))
            i = s.find("Ho Chi Minh City", i + 1)
    return _article(title, text, language="en", mentions=mentions)


@pytest.mark.parametrize("embeddings", [False, True])
def test_english_press_coverage_with_inflected_domain_terms(model, embeddings: bool) -> None:
    """Plainly negative / positive foreign coverage of the city, worded with inflected press-work
    terms ("accused", "silencing critics", "detaining", "misleading", "distorting", "hailed"),
    comes out with the right label with and without the e5 model."""
    m = model if embeddings else _no_embeddings_model()
    for title, text in _FOREIGN_NEG:
        out = m.apply(_foreign(title, text))
        assert out.sentiment is not None and out.sentiment.label == -1, (title, out.sentiment)
    for title, text in _FOREIGN_POS:
        out = m.apply(_foreign(title, text))
        assert out.sentiment is not None and out.sentiment.label == 1, (title, out.sentiment)
