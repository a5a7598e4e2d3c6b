"""Topics: the taxonomy file, terms in every required language, the shipped VNTC classifier."""

from __future__ import annotations

import json
import shutil

import pytest

from duluan.errors import ConfigError
from enrichment.topics import CODES, SENSITIVE, check_config, load_topics

from .conftest import FIX, ROOT


def test_taxonomy_has_every_shared_code_with_terms(tmp_path) -> None:
    tf = load_topics(ROOT / "config")
    assert set(tf.topics) == set(CODES)
    for code in SENSITIVE:
        assert tf.topics[code].sensitive
    assert "27 topics" in check_config(ROOT / "config")


def test_check_config_names_file_and_key(tmp_path) -> None:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    p = tmp_path / "config" / "topics.yaml"
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("  flooding:\n", "  floods:\n"), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        check_config(tmp_path / "config")
    msg = str(e.value)
    assert "topics.yaml" in msg and "topics.flooding: missing" in msg and "topics.floods: unknown" in msg


@pytest.mark.parametrize(("title", "text", "lang", "code"), [
    ("Triều cường gây ngập nặng", "Nhiều tuyến đường ngập sâu sau mưa lớn và triều cường.", "vi", "flooding"),
    ("Trieu cuong gay ngap nang", "Nhieu tuyen duong ngap sau sau mua lon va trieu cuong.", "vi", "flooding"),
    ("Tàu Trung Quốc xâm phạm vùng biển Hoàng Sa", "Biển Đông, chủ quyền biển đảo.", "vi", "sea_islands"),
    ("Rights groups condemn crackdown", "Human rights groups said political prisoners were held.", "en", "human_rights"),
    ("Record foreign investment", "Foreign direct investment and new investors in industrial parks.", "en", "investment"),
    ("Les inondations paralysent la ville", "Des inondations après de fortes pluies et la marée haute.", "fr", "flooding"),
    ("胡志明市交通拥堵", "地铁和公交，交通拥堵严重。", "zh", "traffic"),
    ("ホーチミン市で大雨、浸水被害", "大雨で道路が冠水した。", "ja", "flooding"),
    ("Xuyên tạc tình hình", "Các thế lực thù địch tung tin giả, luận điệu xuyên tạc sai sự thật.", "vi", "hostile_distortion"),
])
def test_terms_in_every_language(tagger, title: str, text: str, lang: str, code: str) -> None:
    codes = [t.code for t in tagger.tag(title, text, lang)]
    assert code in codes, codes


def test_one_syllable_terms_need_their_diacritics(tagger) -> None:
    # "lũ" (flood) must not match "lữ hành" / "lư hương"; "Lào" must not match "lao động"
    codes = [t.code for t in tagger.tag("Lữ hành và lao động", "Công ty lữ hành tuyển lao động.", "vi")]
    assert "flooding" not in codes and "laos_cambodia" not in codes


def test_scores_are_sorted_and_bounded(tagger) -> None:
    ts = tagger.tag("Đầu tư FDI vào TP.HCM tăng kỷ lục", "Vốn FDI, nhà đầu tư nước ngoài, khu công nghiệp. Xuất khẩu tăng.", "vi")
    assert ts and all(0 < t.score <= 1 for t in ts)
    assert [t.score for t in ts] == sorted((t.score for t in ts), reverse=True)
    assert ts[0].code == "investment"


def test_shipped_classifier_on_the_vntc_heldout_split(tagger) -> None:
    """The model file is in the repo and beats chance by far on the split it never saw."""
    from enrichment.training.train_topics import VNTC_TO_TOPIC, is_heldout

    assert tagger.model is not None
    rows = [json.loads(x) for x in (FIX / "vntc" / "vntc_train_sample.jsonl").read_text(encoding="utf-8").splitlines()]
    test = [r for r in rows if is_heldout(r["id"])]
    ok = 0
    for r in test:
        p = tagger.model.probabilities(r["text"][:3000])
        ok += max(p, key=p.__getitem__) == VNTC_TO_TOPIC[r["label"]]
    assert ok / len(test) >= 0.6, ok / len(test)
