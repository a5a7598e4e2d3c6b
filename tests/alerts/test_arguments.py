"""The talking-point library: front matter validation, matching by topic and keywords in any
language, expiry, and the multilingual embeddings fallback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alerts.arguments import check_config, load_arguments, match_arguments
from duluan.errors import ConfigError
from tests.alerts.conftest import article


def test_shipped_library_is_valid_and_marked_as_examples(config_dir: Path):
    points = load_arguments(config_dir)
    assert 8 <= len(points) <= 10
    assert all(p.example and "VÍ DỤ" in p.body for p in points)
    assert "0 expired" in check_config(config_dir)


def test_topic_and_keyword_matching_across_languages(config_dir: Path):
    points = load_arguments(config_dir)
    a = article(topics=("flooding",), title="Floods swamp Saigon as high tide hits", text="Streets flooded.")
    assert match_arguments(a, None, None, points=points, use_embeddings=False)[0].id == "flood-prevention"
    zh = match_arguments("胡志明市的地铁终于开通", [], "zh", points=points, use_embeddings=False)
    assert zh[0].id == "metro-traffic" and any("地铁" in m for m in zh[0].matched)
    fr = match_arguments("Des touristes nombreux à Saigon", [], "fr", points=points, use_embeddings=False)
    assert fr[0].id == "tourism-recovery"
    assert match_arguments("Recipe for noodle soup", [], "en", points=points, use_embeddings=False) == []


def test_embeddings_find_an_entry_when_no_keyword_matches(config_dir: Path):
    points = load_arguments(config_dir)
    got = match_arguments("Hochwasser in Saigon", [], "de", points=points)  # no German keywords in the library
    assert got and got[0].id == "flood-prevention"
    assert any("tương đồng" in m for m in got[0].matched)


def test_expired_entries_are_not_suggested(config_dir: Path):
    points = load_arguments(config_dir)
    a = article(topics=("sea_islands",))
    assert match_arguments(a, None, None, points=points, use_embeddings=False, today=date(2030, 1, 1)) == []


@pytest.mark.parametrize("text, needle", [
    ("no front matter\n", "missing front matter"),
    ("---\ntitle: x\ntopics: sea\n---\nbody", "topics"),
    ("---\ntitle: x\nvalid_until: tomorrow\n---\nbody", "valid_until"),
    ("---\ntitle: [x\n---\nbody", "invalid YAML"),
    ("---\ntitle: x\nsurprise: 1\n---\nbody", "surprise"),
])
def test_bad_entries_name_the_file(config_dir: Path, text: str, needle: str):
    (config_dir / "arguments" / "broken.md").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_arguments(config_dir)
    assert "broken.md" in str(exc.value) and needle in str(exc.value)
