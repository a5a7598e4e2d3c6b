"""Crawler test fixtures: one session-scoped local press server and an app instance whose
catalogue is the press (the real catalogue points at the internet, which tests never reach)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.press_server import PressServer


@pytest.fixture(scope="session")
def press() -> Iterator[PressServer]:
    with PressServer() as server:
        yield server


@pytest.fixture
def press_env(tmp_path: Path, config_dir: Path, app_env: dict[str, str], press: PressServer,
              monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment of an instance that crawls only the local press (127.0.0.1 allowed)."""
    for f in (config_dir / "sources").glob("*.yaml"):
        f.unlink()
    (config_dir / "sources" / "press.yaml").write_text(press.sources_yaml(), encoding="utf-8")
    extra = {
        "DULUAN_CRAWL__ALLOW_PRIVATE": "[127.0.0.1]",
        "DULUAN_CRAWL__DISCOVERY": "false",
        "DULUAN_CRAWL__DOWNLOAD_TIMEOUT": "3",
        "DULUAN_CRAWL__RETRIES": "2",
        "DULUAN_CRAWL__HTTP_CACHE": "false",
    }
    for k, v in extra.items():
        monkeypatch.setenv(k, v)
    return {**app_env, **extra}


@pytest.fixture
def press_ctx(press_env: dict[str, str]) -> Iterator[object]:
    from duluan.context import AppContext

    c = AppContext.load()
    yield c
    c.close()
