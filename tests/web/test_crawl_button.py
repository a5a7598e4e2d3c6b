"""'Crawl now' on the sources page runs the real crawler (Scrapy child process) in a background
thread against the local press server on 127.0.0.1, and the crawled article becomes searchable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.press_server import PressServer
from tests.web.conftest import PASSWORDS, csrf_of, login

pytestmark = pytest.mark.slow


@pytest.fixture
def press() -> Iterator[PressServer]:
    with PressServer() as server:
        yield server


def test_crawl_now_fetches_the_source(app_env: Any, config_dir: Path, press: PressServer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from duluan.auth import hash_password
    from duluan.context import AppContext
    from duluan.db import AuditLog, SourceHealth, User
    from index.base import Query
    from web.app import create_app

    for f in (config_dir / "sources").glob("*.yaml"):
        f.unlink()
    (config_dir / "sources" / "press.yaml").write_text(press.sources_yaml(), encoding="utf-8")
    for k, v in {"DULUAN_CRAWL__ALLOW_PRIVATE": "[127.0.0.1]", "DULUAN_CRAWL__DISCOVERY": "false",
                 "DULUAN_CRAWL__DOWNLOAD_TIMEOUT": "5", "DULUAN_CRAWL__HTTP_CACHE": "false",
                 "DULUAN_ENRICHMENT__EMBEDDINGS": "false"}.items():
        monkeypatch.setenv(k, v)
    ctx = AppContext.load()
    try:
        with ctx.session() as s:
            s.add(User(username="admin", password_hash=hash_password(PASSWORDS["admin"]), role="admin"))
            s.commit()
        app = create_app(ctx)
        with TestClient(app, follow_redirects=False) as c:
            assert login(c, "admin").status_code == 303
            r = c.post("/sources/press-foreign/crawl", data={"csrf_token": csrf_of(c, "/sources")})
            assert r.status_code == 303 and r.headers["location"] == "/sources?ok=crawl"
            thread = app.state.crawls["press-foreign"]
            thread.join(240)
            assert not thread.is_alive()
            assert press.hits.get("/feeds/foreign.xml", 0) >= 1
            with ctx.session() as s:
                health = s.get(SourceHealth, "press-foreign")
                assert health is not None and health.last_success is not None
                assert s.query(AuditLog).filter_by(action="source.crawl", target="press-foreign").count() == 1
            found = ctx.index.search(Query(text="metro", sources=("press-foreign",)))
            assert found.total >= 1
            page = c.get("/sources").text
            assert 'id="src-press-foreign"' in page
    finally:
        ctx.close()
