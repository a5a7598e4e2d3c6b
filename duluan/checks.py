"""`duluan config check`: validate every configuration file and report all problems at once."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duluan.catalogue import load_sources
from duluan.errors import ConfigError
from duluan.settings import CityConfig, load_model, load_settings

# (label, module, function): the function takes the config dir and returns a count, raising
# ConfigError on a problem. Areas that own a config file provide the loader.
AREA_CHECKS: list[tuple[str, str, str]] = [
    ("topics", "enrichment.topics", "check_config"),
    ("alert rules", "alerts.rules", "check_config"),
    ("talking points", "alerts.arguments", "check_config"),
]


def check_all(config_dir: Path) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    summary: list[str] = []

    def run(label: str, fn: Callable[[], Any]) -> None:
        try:
            result = fn()
            summary.append(f"{label}: {result}")
        except ConfigError as exc:
            problems.extend(str(exc).splitlines())

    settings_holder: dict[str, Any] = {}

    def _settings() -> str:
        settings_holder["s"] = load_settings(config_dir=config_dir)
        return "ok"

    run("settings", _settings)

    def _cities() -> str:
        files = sorted((config_dir / "cities").glob("*.yaml"))
        if not files:
            raise ConfigError(f"{config_dir / 'cities'}: no city files")
        names = []
        errors = []
        for f in files:
            names.append(f.stem)
            try:
                city = load_model(f, CityConfig)
                if city.id != f.stem:
                    errors.append(f"{f}: id: expected {f.stem!r} (the file name), got {city.id!r}")
            except ConfigError as exc:
                errors.append(str(exc))
        s = settings_holder.get("s")
        if s is not None and s.city not in names:
            errors.append(f"settings: city: no file cities/{s.city}.yaml (have: {', '.join(names)})")
        if errors:
            raise ConfigError("\n".join(errors))
        return ", ".join(names)

    run("cities", _cities)
    run("sources", lambda: f"{len(load_sources(config_dir))} outlets")
    for label, module, func in AREA_CHECKS:
        try:
            fn = getattr(importlib.import_module(module), func)
        except (ImportError, AttributeError):
            continue
        run(label, lambda fn=fn: fn(config_dir))
    return problems, summary
