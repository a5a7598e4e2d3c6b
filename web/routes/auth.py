"""Login, logout and the language switch."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from duluan.db import WebSession, audit
from web.i18n import LOCALES
from web.render import render
from web.security import (
    LOCALE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfFailed,
    CurrentUser,
    attempt_login,
    create_session,
    current_user,
    drop_session,
    require_write,
    safe_next,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", status_code=status, login_csrf=token, error=error,
                  next=safe_next(request.query_params.get("next")))
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                    secure=request.app.state.ctx.settings.web.secure_cookies, max_age=3600)
    return resp


@router.get("/login")
def login_form(request: Request) -> Response:
    if current_user(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    sent = str(form.get("csrf_token") or "")
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not sent or not cookie or not hmac.compare_digest(sent, cookie):
        raise CsrfFailed()
    result = attempt_login(request, str(form.get("username") or ""), str(form.get("password") or ""))
    if result.user is None:
        return _login_page(request, error=result.error, status=429 if result.error == "throttled" else 401)
    default = request.app.state.ctx.settings.web.default_locale
    locale = request.cookies.get(LOCALE_COOKIE, default)
    value = create_session(request, result.user, locale if locale in LOCALES else default)
    resp = RedirectResponse(safe_next(str(form.get("next") or "/")), status_code=303)
    set_session_cookie(resp, request, value)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout")
async def logout(request: Request, user: CurrentUser = Depends(require_write("viewer"))) -> Response:
    drop_session(request)
    with request.app.state.ctx.session() as s:
        audit(s, user.username, "logout", user.username)
        s.commit()
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.post("/locale")
async def set_locale(request: Request, user: CurrentUser = Depends(require_write("viewer"))) -> Response:
    """The UI language of this session (a personal preference, allowed to every role)."""
    form = await request.form()
    locale = str(form.get("locale") or "")
    if locale in LOCALES and user.session_id:
        with request.app.state.ctx.session() as s:
            ws = s.get(WebSession, user.session_id)
            if ws is not None:
                ws.locale = locale
                s.commit()
    resp = RedirectResponse(safe_next(str(form.get("next") or "/")), status_code=303)
    if locale in LOCALES:
        resp.set_cookie(LOCALE_COOKIE, locale, httponly=True, samesite="lax", path="/", max_age=365 * 86400,
                        secure=request.app.state.ctx.settings.web.secure_cookies)
    return resp


@router.get("/lang/{locale}")
def login_locale(request: Request, locale: str) -> Response:
    """Language switch on the login page (before any session exists): only sets a cookie."""
    resp = RedirectResponse("/login", status_code=303)
    if locale in LOCALES:
        resp.set_cookie(LOCALE_COOKIE, locale, httponly=True, samesite="lax", path="/", max_age=365 * 86400,
                        secure=request.app.state.ctx.settings.web.secure_cookies)
    return resp
