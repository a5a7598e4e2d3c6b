"""Sources: the catalogue with health (last success, errors, articles/day), enable/disable, add a
source (validated like the YAML catalogue and SSRF-checked) and trigger a crawl in a background
thread. Admin only for changes."""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from duluan.db import CustomSource, SourceHealth, audit
from duluan.errors import DuluanError, PolicyError
from duluan.models import Source
from web.render import render
from web.security import CurrentUser, require_user, require_write

router = APIRouter(include_in_schema=False)
log = logging.getLogger("duluan.web.sources")


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def effective_enabled(src: Source, health: SourceHealth | None) -> bool:
    if health is not None and health.enabled_override is not None:
        return bool(health.enabled_override)
    return src.enabled


@router.get("/sources")
def sources_page(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    ctx = request.app.state.ctx
    with ctx.session() as s:
        health = {h.source_id: h for h in s.query(SourceHealth).all()}
        custom = {c.id for c in s.query(CustomSource).all()}
    rows = [(src, health.get(src.id), effective_enabled(src, health.get(src.id)), src.id in custom)
            for src in sorted(ctx.sources, key=lambda x: (str(x.kind), x.country, x.name))]
    crawling = {sid for sid, t in request.app.state.crawls.items() if t.is_alive()}
    return render(request, "sources.html", rows=rows, crawling=crawling,
                  crawl_available=_module("crawlers.runner") is not None,
                  safety_available=_module("crawlers.safety") is not None, error=request.query_params.get("err"),
                  form=dict(request.query_params))


def check_url(ctx: Any, url: str) -> None:
    """SSRF guard of the crawlers (`crawlers.safety.check_url`); refuses to add a source when the
    guard is missing rather than adding it unchecked."""
    safety = _module("crawlers.safety")
    if safety is None:
        raise PolicyError("SSRF guard (crawlers.safety) not available: cannot check the URL")
    safety.check_url(url, ctx.settings.crawl.allow_private)


@router.post("/sources")
async def add_source(request: Request, user: CurrentUser = Depends(require_write("admin"))) -> Response:
    ctx = request.app.state.ctx
    form = await request.form()
    feeds = [f.strip() for f in str(form.get("feeds") or "").splitlines() if f.strip()]
    sitemaps = [f.strip() for f in str(form.get("sitemaps") or "").splitlines() if f.strip()]
    data = {
        "id": str(form.get("id") or "").strip(), "name": str(form.get("name") or "").strip(),
        "homepage": str(form.get("homepage") or "").strip(), "feeds": feeds, "sitemaps": sitemaps,
        "country": str(form.get("country") or "").strip().upper(),
        "language": str(form.get("language") or "").strip().lower(),
        "kind": str(form.get("kind") or "domestic"), "state": form.get("state") in ("1", "on"),
    }
    try:
        src = Source.model_validate(data)
        if ctx.source(src.id) is not None:
            raise DuluanError(f"id {src.id!r} already exists")
        for url in [src.homepage, *src.feeds, *src.sitemaps]:
            if not url.startswith(("http://", "https://")):
                raise DuluanError(f"not an http(s) URL: {url}")
            check_url(ctx, url)
    except ValidationError as exc:
        msg = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return render(request, "sources_error.html", status_code=400, error=msg)
    except DuluanError as exc:
        return render(request, "sources_error.html", status_code=400, error=str(exc))
    with ctx.session() as s:
        s.add(CustomSource(id=src.id, definition=src.model_dump(mode="json"), created_by=user.username))
        audit(s, user.username, "source.add", src.id, definition=src.model_dump(mode="json"))
        s.commit()
    ctx.reload_sources()
    return RedirectResponse("/sources?ok=saved", status_code=303)


@router.post("/sources/{source_id}/toggle")
async def toggle_source(request: Request, source_id: str,
                        user: CurrentUser = Depends(require_write("admin"))) -> Response:
    ctx = request.app.state.ctx
    src = ctx.source(source_id)
    if src is None:
        raise HTTPException(404, "source not found")
    with ctx.session() as s:
        h = s.get(SourceHealth, src.id)
        if h is None:
            h = SourceHealth(source_id=src.id)
            s.add(h)
        h.enabled_override = not effective_enabled(src, h if h.enabled_override is not None else None)
        audit(s, user.username, "source.enable" if h.enabled_override else "source.disable", src.id)
        s.commit()
    return RedirectResponse("/sources?ok=saved", status_code=303)


def _crawl(ctx: Any, source_id: str) -> None:
    runner = _module("crawlers.runner")
    if runner is None:
        return
    try:
        runner.crawl_source(ctx, source_id)
    except Exception:  # noqa: BLE001 - a background crawl logs its failure; the UI shows source health
        log.exception("UI-triggered crawl of source %s failed", source_id)


@router.post("/sources/{source_id}/crawl")
async def crawl_source(request: Request, source_id: str,
                       user: CurrentUser = Depends(require_write("admin"))) -> Response:
    ctx = request.app.state.ctx
    if ctx.source(source_id) is None:
        raise HTTPException(404, "source not found")
    if _module("crawlers.runner") is None:
        raise HTTPException(503, "crawler not available in this build")
    crawls = request.app.state.crawls
    running = crawls.get(source_id)
    if running is None or not running.is_alive():
        t = threading.Thread(target=_crawl, args=(ctx, source_id), name=f"crawl-{source_id}", daemon=True)
        crawls[source_id] = t
        t.start()
        with ctx.session() as s:
            audit(s, user.username, "source.crawl", source_id)
            s.commit()
    return RedirectResponse("/sources?ok=crawl", status_code=303)
