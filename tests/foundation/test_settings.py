"""Settings: documented, overridable from the environment, errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from duluan.errors import ConfigError
from duluan.settings import CityConfig, Settings, load_city, load_model, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        out.append(prefix + name)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(_keys(ann, prefix + name + "."))
    return out


def test_every_setting_is_documented_in_the_example() -> None:
    example = yaml.safe_load((ROOT / "config" / "settings.example.yaml").read_text(encoding="utf-8"))
    missing = []
    for key in _keys(Settings):
        node = example
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                missing.append(key)
                break
            node = node[part]
    assert not missing, f"settings missing from config/settings.example.yaml: {missing}"
    Settings.model_validate(example)


def test_example_is_valid_and_defaults_match(tmp_path: Path) -> None:
    example = yaml.safe_load((ROOT / "config" / "settings.example.yaml").read_text(encoding="utf-8"))
    assert Settings.model_validate(example).model_dump() == Settings().model_dump()


def test_environment_overrides(config_dir: Path) -> None:
    s = load_settings(config_dir, tmp := config_dir.parent / "d", environ={
        "DULUAN_TIMEZONE": "Asia/Bangkok", "DULUAN_WEB__PORT": "8123",
        "DULUAN_CRAWL__ALLOW_PRIVATE": "[127.0.0.1]", "DULUAN_DATA_DIR": "/ignored",
    })
    assert s.timezone == "Asia/Bangkok" and s.web.port == 8123 and s.crawl.allow_private == ["127.0.0.1"]
    assert s.data_dir == tmp


def test_errors_name_file_key_and_expectation(config_dir: Path) -> None:
    (config_dir / "settings.yaml").write_text("web:\n  port: lots\n  colour: blue\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(config_dir, config_dir.parent / "d", environ={})
    msg = str(exc.value)
    assert "settings.yaml" in msg and "web.port" in msg and "integer" in msg
    assert "web.colour" in msg and "unknown key" in msg


def test_yaml_syntax_error_names_line(config_dir: Path) -> None:
    (config_dir / "settings.yaml").write_text("web:\n  port: [1,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings\.yaml:\d+:\d+: invalid YAML"):
        load_settings(config_dir, config_dir.parent / "d", environ={})


def test_city_files_are_valid_and_cover_languages() -> None:
    for name in ("hcmc", "hanoi", "haiphong"):
        city = load_model(ROOT / "config" / "cities" / f"{name}.yaml", CityConfig)
        assert city.id == name
        assert {"vi", "en", "fr", "zh", "ja", "ko"} <= set(city.aliases)
        assert city.agencies
    hcmc = load_model(ROOT / "config" / "cities" / "hcmc.yaml", CityConfig)
    names = {a for v in hcmc.aliases.values() for a in v}
    for alias in ("Thành phố Hồ Chí Minh", "TP.HCM", "TPHCM", "Sài Gòn", "Ho Chi Minh City", "HCMC", "Saigon",
                  "Hô-Chi-Minh-Ville", "胡志明市", "ホーチミン", "호찌민"):
        assert alias in names
    assert any("Thủ Đức" in d for d in hcmc.districts)


def test_missing_city_file(config_dir: Path) -> None:
    s = load_settings(config_dir, config_dir.parent / "d", environ={"DULUAN_CITY": "danang"})
    with pytest.raises(ConfigError, match="danang.yaml"):
        load_city(s)
