"""Admin pages: user accounts (create, role, disable, reset password) and the audit log."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from duluan.auth import ROLES, hash_password
from duluan.db import AuditLog, User, WebSession, audit
from web.render import render
from web.security import CurrentUser, require_user, require_write

router = APIRouter(include_in_schema=False)
USERNAME = re.compile(r"^[a-zA-Z0-9._-]{2,64}$")
MIN_PASSWORD = 10
AUDIT_PAGE = 100


@router.get("/admin/users")
def users_page(request: Request, user: CurrentUser = Depends(require_user("admin"))) -> Response:
    with request.app.state.ctx.session() as s:
        users = s.query(User).order_by(User.username).all()
    return render(request, "users.html", users=users, roles=ROLES, error=request.query_params.get("err"))


@router.post("/admin/users")
async def create_user(request: Request, user: CurrentUser = Depends(require_write("admin"))) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    role = str(form.get("role") or "viewer")
    if not USERNAME.match(username):
        raise HTTPException(400, "username: 2-64 letters, digits, . _ -")
    if len(password) < MIN_PASSWORD:
        raise HTTPException(400, f"password: at least {MIN_PASSWORD} characters")
    if role not in ROLES:
        raise HTTPException(400, "role")
    with request.app.state.ctx.session() as s:
        if s.query(User).filter_by(username=username).one_or_none() is not None:
            raise HTTPException(400, "username already exists")
        s.add(User(username=username, password_hash=hash_password(password), role=role,
                   full_name=str(form.get("full_name") or "")[:128], email=str(form.get("email") or "")[:255]))
        audit(s, user.username, "user.create", username, role=role)
        s.commit()
    return RedirectResponse("/admin/users?ok=saved", status_code=303)


@router.post("/admin/users/{user_id}")
async def update_user(request: Request, user_id: int, user: CurrentUser = Depends(require_write("admin"))) -> Response:
    form = await request.form()
    with request.app.state.ctx.session() as s:
        target = s.get(User, user_id)
        if target is None:
            raise HTTPException(404, "user not found")
        changes: dict[str, object] = {}
        role = str(form.get("role") or target.role)
        if role not in ROLES:
            raise HTTPException(400, "role")
        active = form.get("active") in ("1", "on")
        if target.id == user.id and (role != "admin" or not active):
            raise HTTPException(400, "you cannot demote or disable your own account")
        if role != target.role:
            changes["role"] = [target.role, role]
            target.role = role
        if active != target.active:
            changes["active"] = active
            target.active = active
        password = str(form.get("password") or "")
        if password:
            if len(password) < MIN_PASSWORD:
                raise HTTPException(400, f"password: at least {MIN_PASSWORD} characters")
            target.password_hash = hash_password(password)
            changes["password"] = "reset"
        if form.get("unlock") in ("1", "on"):
            target.locked_until = None
            target.failed_logins = 0
            changes["unlocked"] = True
        if changes.keys() & {"role", "active", "password"}:
            # role, access or password changed: existing sessions end
            s.query(WebSession).filter_by(user_id=target.id).delete()
        audit(s, user.username, "user.update", target.username, **changes)
        s.commit()
    return RedirectResponse("/admin/users?ok=saved", status_code=303)


@router.get("/admin/audit")
def audit_page(request: Request, user: CurrentUser = Depends(require_user("admin"))) -> Response:
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    actor = request.query_params.get("actor") or None
    with request.app.state.ctx.session() as s:
        q = s.query(AuditLog)
        if actor:
            q = q.filter(AuditLog.actor == actor)
        rows = q.order_by(AuditLog.id.desc()).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE + 1).all()
    return render(request, "audit.html", rows=rows[:AUDIT_PAGE], page=page, more=len(rows) > AUDIT_PAGE,
                  actor=actor or "")


_URL_PASSWORD = re.compile(r"(://[^:/@\s]+):[^@/\s]+@")


def _mask(text: str) -> str:
    """Passwords inside URLs (database_url, store, webhooks) are not shown."""
    return _URL_PASSWORD.sub(r"\1:***@", text)


@router.get("/admin/settings")
def settings_page(request: Request, user: CurrentUser = Depends(require_user("admin"))) -> Response:
    """The effective settings, read-only (they are edited in config/settings.yaml or the environment;
    secrets never appear: they live only in the environment and are not part of Settings)."""
    import yaml

    ctx = request.app.state.ctx
    dump = ctx.settings.model_dump(mode="json")
    text = _mask(yaml.safe_dump(dump, allow_unicode=True, sort_keys=False))
    return render(request, "settings.html", text=text, config_dir=str(ctx.settings.config_dir),
                  data_dir=str(ctx.settings.data_dir), store=_mask(ctx.settings.store_url.split("?")[0]),
                  sources=len(ctx.sources), city=ctx.city.name)
