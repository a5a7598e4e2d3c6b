"""Bad input never raises: empty, one word, 5 MB, mixed scripts, mojibake, control characters,
NFD — property-based over the chain's own enrichers."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrichment.chain import build_chain

from .conftest import make_article

MINE = ["normalize", "language", "relevance", "topics", "summary"]


@pytest.fixture(scope="module")
def chain(repo_settings, city):
    c = build_chain(repo_settings, city, MINE)
    c.enrich(make_article("warm", "up"))  # load models once
    return c


def check(a) -> None:
    assert isinstance(a.language, str) and 0.0 <= a.language_confidence <= 1.0
    assert 0.0 <= a.relevance <= 1.0
    for m in a.mentions:
        src = a.title if m.field == "title" else a.text
        assert 0 <= m.start < m.end <= len(src)
    for t in a.topics:
        assert 0.0 < t.score <= 1.0
    assert all(not v.startswith("error") for v in a.enrichment.values()), a.enrichment


text_st = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(["", " ", "TP.HCM", "\x00\x01\x1f", "胡志明市", "ホーチミン", "ᄒᄒ"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text_st, text=text_st)
def test_any_text(chain, title: str, text: str) -> None:
    check(chain.enrich(make_article(title, text)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=300))
def test_nfd_and_mojibake_variants(chain, s: str) -> None:
    base = "Kẹt xe ở Thành phố Hồ Chí Minh. " + s
    for variant in (unicodedata.normalize("NFD", base),
                    base.encode("utf-8").decode("cp1252", errors="replace"),
                    base.encode("utf-8").decode("latin-1")):
        check(chain.enrich(make_article(variant[:50], variant)))


@pytest.mark.parametrize("text", [
    "",
    "Ngập",
    "Sài Gòn 胡志明市 ホーチミン Хошимин호찌민 ไซ่ง่อน ទីក្រុងហូជីមិញ mixed scripts",
    "\x00\x07\x1b[31m TP.HCM \x7f\u200b\ufeff",
    unicodedata.normalize("NFD", "Thành phố Hồ Chí Minh ngập nặng sau mưa lớn"),
    "Thành phố Hồ Chí Minh".encode().decode("cp1252", errors="replace") * 20,
])
def test_named_bad_inputs(chain, text: str) -> None:
    check(chain.enrich(make_article(text[:80], text)))


@pytest.mark.slow
def test_five_megabytes(chain) -> None:
    para = "UBND TP.HCM họp bàn về chống ngập, kẹt xe và ô nhiễm môi trường tại Quận 1. " * 60 + "\n"
    text = para * (5_000_000 // len(para) + 1)
    assert len(text) >= 5_000_000
    a = chain.enrich(make_article("TP.HCM chống ngập", text))
    check(a)
    assert a.relevance > 0.9 and a.language == "vi"


def test_whole_configured_chain_on_bad_inputs(repo_settings, city) -> None:
    """Every configured enricher (sentiment, stories and risk included), in one batch."""
    settings = repo_settings.model_copy(update={"enrichment": repo_settings.enrichment.model_copy(update={"embeddings": False})})
    chain = build_chain(settings, city)
    texts = ["", "Ngập", "Sài Gòn 胡志明市 ホーチミン Хошимин 호찌민 ไซ่ง่อน ទីក្រុងហូជីមិញ",
             "\x00\x07 TP.HCM \x7f\u200b\ufeff", unicodedata.normalize("NFD", "Thành phố Hồ Chí Minh ngập nặng"),
             "Thành phố Hồ Chí Minh".encode().decode("cp1252", errors="replace") * 20, "a" * 100_000]
    out = chain.enrich_batch([make_article(t[:80], t, url=f"https://bad.example/{i}") for i, t in enumerate(texts)])
    assert len(out) == len(texts)
    for a in out:
        check(a)
        assert 0.0 <= a.risk <= 100.0
