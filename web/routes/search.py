"""Search: full text (with or without diacritics), facets with counts, sort, pagination, CSV/XLSX
export of the result set, saved searches and turning one into an alert rule."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from duluan.db import AlertRule, SavedSearch, audit
from duluan.errors import QuerySyntaxError
from web import charts, exports
from web.render import render
from web.searchparams import FACET_DIMS, PAGE_SIZE, params_dict, parse, rule_definition, with_default_window
from web.security import CurrentUser, require_user, require_write

router = APIRouter(include_in_schema=False)
RISK_LEVELS = (70, 50, 30)


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="facets")


def facets(ctx: Any, form: Any) -> dict[str, list[tuple[str, int]]]:
    """Counts per value of each facet, computed without that facet's own filter. The queries are
    independent, so they run concurrently (each thread has its own index connection)."""
    tz = ctx.settings.timezone
    index = ctx.index
    jobs: dict[str, Any] = {}
    for dim in FACET_DIMS:
        jobs[dim] = _POOL.submit(index.aggregate, form.without(dim), [dim], tz, 15)
    base = replace(form.query, min_risk=None, limit=0, offset=0)
    for level in RISK_LEVELS:
        jobs[f"risk{level}"] = _POOL.submit(index.count, replace(base, min_risk=float(level)))
    rbase = replace(form.query, reviewed=None, limit=0, offset=0)
    jobs["rev1"] = _POOL.submit(index.count, replace(rbase, reviewed=True))
    jobs["rev0"] = _POOL.submit(index.count, replace(rbase, reviewed=False))
    jobs["day"] = _POOL.submit(index.aggregate, replace(form.query, limit=0, offset=0), ["day"], tz)
    out: dict[str, list[tuple[str, int]]] = {}
    for dim in FACET_DIMS:
        out[dim] = [(b.key[0], b.count) for b in jobs[dim].result()]
    out["risk"] = [(str(level), jobs[f"risk{level}"].result()) for level in RISK_LEVELS]
    out["reviewed"] = [("1", jobs["rev1"].result()), ("0", jobs["rev0"].result())]
    out["day"] = [(b.key[0], b.count) for b in jobs["day"].result()]
    return out


def _page_no(request: Request) -> int:
    try:
        return int(request.query_params.get("page", "1"))
    except ValueError:
        return 1


def _form(request: Request) -> tuple[dict[str, Any], Any]:
    ctx = request.app.state.ctx
    asked = params_dict(request.query_params)
    params = with_default_window(asked, ctx.index, ctx.settings.timezone)
    return asked, parse(params, ctx.settings.timezone, page=_page_no(request))


def facet_context(ctx: Any, form: Any) -> dict[str, Any]:
    """What the facet panel shows: counts per facet and the per-day chart."""
    counts = facets(ctx, form)
    days = counts.pop("day")
    chart = charts.columns([(k[8:10] + "/" + k[5:7], n) for k, n in days[-31:]], width=240, height=80) if days else None
    return {"facets": counts, "day_chart": chart, "params": form.params,
            "source_names": {s.id: s.name for s in ctx.sources}}


@router.get("/search")
def search_page(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    """Results first; the facet panel comes from /search/facets (fetched by app.js) so the
    results never wait for the counts — or inline with `facets=1` (the no-JavaScript link)."""
    ctx = request.app.state.ctx
    asked, form = _form(request)
    # a saved search keeps what the user asked, not the default window of today
    save_params = {k: v for k, v in form.params.items() if k in asked}
    inline = request.query_params.get("facets") == "1"
    error = "; ".join(form.errors) or None
    page = None
    extra: dict[str, Any] = {"facets": {}, "day_chart": None}
    try:
        results = _POOL.submit(ctx.index.search, form.query)
        if inline:
            extra = facet_context(ctx, form)
        page = results.result()
    except QuerySyntaxError as exc:
        error = str(exc)
    with ctx.session() as s:
        saved = s.query(SavedSearch).filter_by(user_id=user.id).order_by(SavedSearch.created_at.desc()).all()
    base_params = dict(form.params)
    pages = min((page.total + PAGE_SIZE - 1) // PAGE_SIZE, 500) if page is not None else 0
    extra.update(params=base_params, source_names={s.id: s.name for s in ctx.sources})
    return render(
        request, "search.html", form=form, page=page, error=error, saved=saved, facets_inline=inline,
        qs=urlencode(base_params, doseq=True), save_params=save_params, pages=pages, **extra,
    )


@router.get("/search/facets")
def search_facets(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    """The facet panel of a search (an HTML fragment for the search page)."""
    ctx = request.app.state.ctx
    _, form = _form(request)
    try:
        return render(request, "facets_fragment.html", **facet_context(ctx, form))
    except QuerySyntaxError:
        return render(request, "facets_fragment.html", facets={}, day_chart=None, params=form.params,
                      source_names={})


def _export(request: Request, fmt: str) -> Response:
    ctx = request.app.state.ctx
    params = with_default_window(params_dict(request.query_params), ctx.index, ctx.settings.timezone)
    form = parse(params, ctx.settings.timezone)
    tz = ctx.settings.timezone
    articles = exports.iter_results(ctx.index, form.query)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        body, media = exports.to_csv(articles, tz), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(articles, tz)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="duluan-{stamp}.{fmt}"'})


@router.get("/search/export.csv")
def export_csv(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    return _export(request, "csv")


@router.get("/search/export.xlsx")
def export_xlsx(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    return _export(request, "xlsx")


@router.post("/searches")
async def save_search(request: Request, user: CurrentUser = Depends(require_write("analyst"))) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip()[:200]
    params = params_dict({k: form.getlist(k) for k in form.keys() if k != "csrf_token"})
    if not name:
        raise HTTPException(400, "name required")
    with request.app.state.ctx.session() as s:
        row = SavedSearch(user_id=user.id, name=name, params=params)
        s.add(row)
        s.flush()
        audit(s, user.username, "search.save", str(row.id), name=name, params=params)
        s.commit()
    return RedirectResponse("/search?" + urlencode(params, doseq=True) + "&ok=saved", status_code=303)


def _own_search(s: Any, search_id: int, user: CurrentUser) -> SavedSearch:
    row = s.get(SavedSearch, search_id)
    if row is None or (row.user_id != user.id and not user.can("admin")):
        raise HTTPException(404, "saved search not found")
    return row  # type: ignore[no-any-return]


@router.post("/searches/{search_id}/delete")
async def delete_search(request: Request, search_id: int,
                        user: CurrentUser = Depends(require_write("analyst"))) -> Response:
    with request.app.state.ctx.session() as s:
        row = _own_search(s, search_id, user)
        audit(s, user.username, "search.delete", str(row.id), name=row.name)
        s.delete(row)
        s.commit()
    return RedirectResponse("/search?ok=deleted", status_code=303)


@router.post("/searches/{search_id}/rule")
async def search_to_rule(request: Request, search_id: int,
                         user: CurrentUser = Depends(require_write("admin"))) -> Response:
    """A saved search becomes an alert rule (origin "ui"), validated by the alerts module if present."""
    form = await request.form()
    severity = str(form.get("severity") or "medium")
    if severity not in ("low", "medium", "high", "critical"):
        raise HTTPException(400, "severity")
    with request.app.state.ctx.session() as s:
        row = _own_search(s, search_id, user)
        rule_id = "ui-" + (re.sub(r"[^a-z0-9]+", "-", row.name.lower()).strip("-")[:40] or "rule") + f"-{row.id}"
        definition = rule_definition(rule_id, row.name, row.params, severity)
        from web.routes.rules import validate_rule

        definition = validate_rule(definition)
        existing = s.get(AlertRule, rule_id)
        if existing is None:
            s.add(AlertRule(id=rule_id, name=row.name, definition=definition, origin="ui"))
        else:
            existing.definition = definition
            existing.updated_at = datetime.now(UTC)
        audit(s, user.username, "rule.from_search", rule_id, search=row.id, definition=definition)
        s.commit()
    return RedirectResponse(f"/rules/{rule_id}?ok=saved", status_code=303)
