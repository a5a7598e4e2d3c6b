"""Roles and CSRF over every mutating route, enumerated from the app itself (a new POST route is
covered without editing this file)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import iter_route_contexts

from tests.web.conftest import csrf_of

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# routes every logged-in user may call: the login form itself and personal session actions
PERSONAL = {"/login", "/logout", "/locale"}
ANALYST_ALLOWED = {"/articles/{article_id}/review", "/alerts/{alert_id}/action", "/reports/generate",
                   "/reports/draft", "/searches", "/searches/{search_id}/delete",
                   "/api/v1/alerts/{alert_id}/actions"}


def mutating_routes(app: Any) -> list[tuple[str, str]]:
    out = []
    for rc in iter_route_contexts(app.routes):  # flattens included routers
        for m in sorted((rc.methods or set()) & MUTATING):
            out.append((m, rc.path))
    return out


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "1"), path)


def real_ids(ctx: Any) -> dict[str, str]:
    """Existing objects, so a 403 is not a 404 in disguise."""
    from duluan.db import AlertRecord, SavedSearch, User
    from index.base import Query

    ids = {"article_id": ctx.index.search(Query(limit=1)).items[0].id, "source_id": ctx.sources[0].id,
           "rule_id": "ui-rule"}
    with ctx.session() as s:
        alert = s.query(AlertRecord).first()
        ids["alert_id"] = alert.id if alert else "none"
        user = s.query(User).filter_by(username="viewer").one()
        ids["user_id"] = str(user.id)
        ss = SavedSearch(user_id=user.id, name="x", params={"q": "xe"})
        s.add(ss)
        s.commit()
        ids["search_id"] = str(ss.id)
    return ids


def audit_count(ctx: Any) -> int:
    from duluan.db import AuditLog

    with ctx.session() as s:
        return s.query(AuditLog).filter(AuditLog.actor.in_(["viewer", "analyst"])).count()


def test_there_are_mutating_routes_to_check(app: Any) -> None:
    routes = mutating_routes(app)
    assert len(routes) >= 18
    assert all(m == "POST" for m, _ in routes)  # the UI uses POST forms only


def test_viewer_cannot_change_anything(app: Any, web_ctx: Any, client_for: Any) -> None:
    from duluan.db import AlertRule

    with web_ctx.session() as s:
        s.add(AlertRule(id="ui-rule", name="r", definition={"id": "ui-rule", "name": "r"}, origin="ui"))
        s.commit()
    ids = real_ids(web_ctx)
    c = client_for("viewer")
    token = csrf_of(c)
    before = audit_count(web_ctx)
    checked = 0
    for method, path in mutating_routes(app):
        if path in PERSONAL:
            continue
        url = fill(path, ids)
        if path.startswith("/api/"):
            r = c.request(method, url, json={"action": "acknowledge"}, headers={"X-CSRF-Token": token})
        else:
            r = c.request(method, url, data={"csrf_token": token, "name": "n", "definition": "id: x\nname: y",
                                             "action": "acknowledge", "role": "admin", "sentiment": "-1"})
        assert r.status_code == 403, (method, url, r.status_code)
        checked += 1
    assert checked >= 15
    assert audit_count(web_ctx) == before  # nothing was recorded: nothing changed
    art = web_ctx.index.get(ids["article_id"])
    assert art.review.reviewed is False and art.review.sentiment is None


def test_analyst_cannot_do_admin_things(app: Any, web_ctx: Any, client_for: Any) -> None:
    ids = real_ids(web_ctx)
    c = client_for("analyst")
    token = csrf_of(c)
    for method, path in mutating_routes(app):
        if path in PERSONAL or path in ANALYST_ALLOWED:
            continue
        r = c.request(method, fill(path, ids), data={"csrf_token": token})
        assert r.status_code == 403, (method, path)
    for path in ("/admin/users", "/admin/audit", "/admin/settings", "/api/docs", "/api/openapi.json", "/rules/new"):
        assert c.get(path).status_code == 403, path


def test_every_mutating_route_needs_the_csrf_token(app: Any, web_ctx: Any, client_for: Any) -> None:
    """Even an admin's request is refused without the session's token (or with a wrong one)."""
    ids = real_ids(web_ctx)
    c = client_for("admin")
    real = csrf_of(c)
    for method, path in mutating_routes(app):
        if path == "/login":
            continue
        url = fill(path, ids)
        for sent in (None, "forged-" + real[:10]):
            data = {"name": "n", "sentiment": "-1"} | ({"csrf_token": sent} if sent else {})
            r = c.request(method, url, data=data)
            assert r.status_code == 403, (method, path, sent)
    # still logged in, and nothing changed
    assert c.get("/").status_code == 200
    assert web_ctx.index.get(ids["article_id"]).review.sentiment is None


def test_review_with_token_works_for_analyst(web_ctx: Any, client_for: Any) -> None:
    ids = real_ids(web_ctx)
    c = client_for("analyst")
    url = f"/articles/{ids['article_id']}/review"
    token = csrf_of(c, f"/articles/{ids['article_id']}")
    r = c.post(url, data={"csrf_token": token, "sentiment": "-1", "reviewed": "1", "topics_mode": "auto"})
    assert r.status_code == 303
    art = web_ctx.index.get(ids["article_id"])
    assert art.review.sentiment == -1 and art.review.reviewed_by == "analyst"
