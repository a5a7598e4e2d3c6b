"""`duluan users …`: accounts and API tokens from the command line, checked against the web app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient


def run(args: list[str]) -> tuple[int, str]:
    from typer.testing import CliRunner

    from duluan.cli import app

    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


def test_users_lifecycle_and_token(app_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAN_PW", "mat-khau-cua-lan")
    code, out = run(["users", "add", "lan", "--role", "analyst", "--name", "Nguyễn Thị Lan", "--password-env", "LAN_PW"])
    assert code == 0, out
    code, out = run(["users", "add", "lan", "--password-env", "LAN_PW"])
    assert code != 0  # already exists
    monkeypatch.setenv("SHORT_PW", "short")
    assert run(["users", "add", "minh", "--password-env", "SHORT_PW"])[0] != 0
    assert run(["users", "add", "minh", "--role", "boss", "--password-env", "LAN_PW"])[0] != 0
    code, out = run(["users", "list", "--json"])
    users = {u["username"]: u for u in map(json.loads, out.strip().splitlines())}
    assert users["lan"]["role"] == "analyst" and users["lan"]["name"] == "Nguyễn Thị Lan"

    code, token = run(["users", "token", "lan", "--name", "crm"])
    assert code == 0 and len(token.strip()) > 30
    from duluan.context import AppContext
    from web.app import create_app

    ctx = AppContext.load()
    try:
        client = TestClient(create_app(ctx))
        headers = {"Authorization": f"Bearer {token.strip()}"}
        assert client.get("/api/v1/me", headers=headers).json() == {"username": "lan", "role": "analyst"}
        assert run(["users", "set-role", "lan", "viewer"])[0] == 0
        assert client.get("/api/v1/me", headers=headers).json()["role"] == "viewer"
        assert run(["users", "disable", "lan"])[0] == 0
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        assert run(["users", "enable", "lan"])[0] == 0
        assert run(["users", "revoke", "lan"])[0] == 0
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        with ctx.session() as s:
            from duluan.db import AuditLog

            actions = [a.action for a in s.query(AuditLog).filter_by(actor="cli", target="lan")]
        assert actions == ["user.create", "token.create", "user.update", "user.update", "user.update", "token.revoke"]
    finally:
        ctx.close()
    assert run(["users", "set-role", "nobody", "admin"])[0] != 0
