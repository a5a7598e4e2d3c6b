"""Shared fixtures. An autouse guard refuses any network connection that is not loopback."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"test network guard: refused non-loopback connection to {address!r}")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"test network guard: refused non-loopback connection to {address!r}")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the repository's config directory."""
    dst = tmp_path / "config"
    shutil.copytree(ROOT / "config", dst)
    return dst


@pytest.fixture
def app_env(tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for a throwaway instance: its own data and config dirs."""
    data = tmp_path / "data"
    env = {
        "DULUAN_DATA_DIR": str(data),
        "DULUAN_CONFIG_DIR": str(config_dir),
        "DULUAN_ADMIN_PASSWORD": "test-admin-password",
        "DULUAN_SECRET_KEY": "test-secret-key-not-for-production-0123456789",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def ctx(app_env: dict[str, str]) -> Iterator[object]:
    """An AppContext on a throwaway data dir."""
    from duluan.context import AppContext

    c = AppContext.load()
    yield c
    c.close()


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra or {})
    return env
