"""Fixtures for the web tests: a throwaway instance (own data dir, SQLite index and DB) holding a
slice of the demo articles and one user per role, and logged-in in-process clients (ASGI)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PASSWORDS = {"admin": "admin-password-1", "analyst": "analyst-password-1", "viewer": "viewer-password-1"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(ctx: Any, limit: int | None = 120) -> None:
    """Demo articles through the real pipeline, and one user per role."""
    from duluan.auth import hash_password
    from duluan.db import User
    from duluan.ingest import LineError, iter_jsonl, source_lookup

    items = [a for a in iter_jsonl(FIXTURES / "articles" / "demo.jsonl", source_lookup(ctx.sources))
             if not isinstance(a, LineError)]
    if limit != 0:
        ctx.pipeline.process(items[:limit] if limit else items)
    with ctx.session() as s:
        for role, pw in PASSWORDS.items():
            s.add(User(username=role, password_hash=hash_password(pw), role=role, full_name=role.title()))
        s.commit()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir seeded once per session (the pipeline is the slow part); tests get a copy."""
    from duluan.context import AppContext
    from duluan.settings import load_settings

    root = tmp_path_factory.mktemp("web-template")
    config = root / "config"
    shutil.copytree(ROOT / "config", config)
    data = root / "data"
    settings = load_settings(config, data)
    # the embedding model is the slow part of enrichment and these tests do not need it
    ctx = AppContext(settings.model_copy(update={
        "enrichment": settings.enrichment.model_copy(update={"embeddings": False})}))
    seed(ctx)
    ctx.close()
    ctx.engine.dispose()
    return data


@pytest.fixture
def web_ctx(ctx: Any, seeded_template: Path) -> Any:
    """The `ctx` of the root conftest (own tmp dirs and env) holding a copy of the seeded data."""
    ctx.settings = ctx.settings.model_copy(update={
        "enrichment": ctx.settings.enrichment.model_copy(update={"embeddings": False})})
    data = ctx.settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    for f in seeded_template.iterdir():
        if f.is_file():
            shutil.copy2(f, data / f.name)
    return ctx


@pytest.fixture
def app(web_ctx: Any) -> Any:
    from web.app import create_app

    return create_app(web_ctx)


def login(client: TestClient, username: str, password: str | None = None) -> Any:
    page = client.get("/login")
    token = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                       "csrf_token": token}, follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/") -> str:
    """The session's CSRF token, read from a rendered page like a browser would."""
    page = client.get(path)
    m = CSRF_RE.search(page.text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


@pytest.fixture
def client_for(app: Any) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(role: str | None) -> TestClient:
        c = TestClient(app, follow_redirects=False)
        clients.append(c)
        if role is not None:
            r = login(c, role)
            assert r.status_code == 303, r.text[:300]
        return c

    yield make
    for c in clients:
        c.close()
