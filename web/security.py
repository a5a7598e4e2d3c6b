"""Authentication for the web UI: server-side sessions, CSRF tokens, roles, login throttling and
the session secret.

The cookie holds a random token; the database keeps only an HMAC of it (keyed with
`DULUAN_SECRET_KEY`), so a leaked database does not give working sessions. Every mutating route
depends on `require_write(role)`, which checks the role first and then the CSRF token of the
session (form field `csrf_token` or header `X-CSRF-Token`). API clients authenticate with
`Authorization: Bearer <token>` (an `ApiToken`) and need no CSRF token (no ambient credential).

Dev/test mode: `DULUAN_DEBUG=1` lets the app start with a missing or placeholder secret (it then
uses a random per-process secret and logs a warning). Without it, such a secret is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from fastapi import Request

from duluan.auth import hash_password, token_hash, verify_password
from duluan.db import ApiToken, LoginAttempt, User, WebSession, audit
from duluan.errors import ConfigError
from duluan.settings import PLACEHOLDER_SECRETS, Settings

log = logging.getLogger("duluan.web.security")

SESSION_COOKIE = "duluan_session"
LOGIN_CSRF_COOKIE = "duluan_login_csrf"
LOCALE_COOKIE = "duluan_locale"
ROLE_RANK = {"viewer": 0, "analyst": 1, "admin": 2}
MIN_SECRET_LENGTH = 16
# failures from one remote address within the lockout window before it is throttled
REMOTE_MAX_FAILURES = 30


class LoginRequired(Exception):
    """Raised by page dependencies when no valid session exists (becomes a redirect to /login)."""


class Forbidden(Exception):
    """The user is logged in but their role does not allow this (becomes a 403 page)."""


class CsrfFailed(Exception):
    """A mutating request without the session's CSRF token (becomes a 403 page)."""


def dev_mode() -> bool:
    """Dev/test mode: only via `DULUAN_DEBUG=1`, never implied."""
    return os.environ.get("DULUAN_DEBUG") == "1"


def resolve_secret(settings: Settings) -> bytes:
    """The session secret from `DULUAN_SECRET_KEY`; placeholders and short keys are refused outside
    dev mode (in dev mode a random per-process secret is used instead)."""
    key = settings.secret("secret_key")
    if key.strip().lower() in PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_LENGTH or "change" in key.lower():
        if dev_mode():
            log.warning("DULUAN_SECRET_KEY missing or a placeholder: using a random secret (dev mode)")
            return secrets.token_bytes(32)
        raise ConfigError(
            "environment: DULUAN_SECRET_KEY: missing or a known placeholder; set a random value of at "
            f"least {MIN_SECRET_LENGTH} characters (e.g. `python -c 'import secrets;print(secrets.token_urlsafe(48))'`)"
            " or set DULUAN_DEBUG=1 for a throwaway dev instance"
        )
    return key.encode()


@dataclass
class CurrentUser:
    id: int
    username: str
    role: str
    full_name: str
    csrf: str
    locale: str
    session_id: str | None = None
    via_token: bool = False

    def can(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


def _now() -> datetime:
    return datetime.now(UTC)


def session_key(secret: bytes, cookie_value: str) -> str:
    return hmac.new(secret, cookie_value.encode(), hashlib.sha256).hexdigest()


def create_session(request: Request, user: User, locale: str) -> str:
    """A new server-side session; returns the cookie value (only its HMAC is stored)."""
    app = request.app
    ctx = app.state.ctx
    value = secrets.token_urlsafe(32)
    with ctx.session() as s:
        s.add(WebSession(
            id=session_key(app.state.secret, value), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
            expires_at=_now() + timedelta(hours=ctx.settings.web.session_hours), locale=locale,
        ))
        # expired sessions are removed as new ones are made
        s.query(WebSession).filter(WebSession.expires_at < _now()).delete()
        s.commit()
    return value


def drop_session(request: Request) -> None:
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return
    with request.app.state.ctx.session() as s:
        s.query(WebSession).filter_by(id=session_key(request.app.state.secret, value)).delete()
        s.commit()


def set_session_cookie(response: Any, request: Request, value: str) -> None:
    settings = request.app.state.ctx.settings
    response.set_cookie(
        SESSION_COOKIE, value, max_age=settings.web.session_hours * 3600, httponly=True,
        samesite="lax", secure=settings.web.secure_cookies, path="/",
    )


def _user_from_token(request: Request, header: str) -> CurrentUser | None:
    token = header.removeprefix("Bearer ").strip()
    if not token:
        return None
    with request.app.state.ctx.session() as s:
        row = s.query(ApiToken).filter_by(token_hash=token_hash(token)).one_or_none()
        if row is None:
            return None
        user = s.get(User, row.user_id)
        if user is None or not user.active:
            return None
        row.last_used = _now()
        s.commit()
        return CurrentUser(user.id, user.username, user.role, user.full_name, "", "vi", via_token=True)


def current_user(request: Request) -> CurrentUser | None:
    """The logged-in user of this request (cached on request.state), or None."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    user: CurrentUser | None = None
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer "):
        user = _user_from_token(request, auth)
    else:
        value = request.cookies.get(SESSION_COOKIE)
        if value:
            with request.app.state.ctx.session() as s:
                ws = s.get(WebSession, session_key(request.app.state.secret, value))
                if ws is not None and ws.expires_at > _now():
                    u = s.get(User, ws.user_id)
                    if u is not None and u.active:
                        user = CurrentUser(u.id, u.username, u.role, u.full_name, ws.csrf_token, ws.locale, ws.id)
    request.state.user = user
    return user


def require_user(role: str = "viewer") -> Any:
    """Dependency for pages and read-only API routes: logged in and at least `role`."""

    def dep(request: Request) -> CurrentUser:
        user = current_user(request)
        if user is None:
            raise LoginRequired()
        if not user.can(role):
            raise Forbidden()
        return user

    return dep


async def check_csrf(request: Request, user: CurrentUser) -> None:
    """The session's CSRF token must come with every mutating request (token clients excepted)."""
    if user.via_token:
        return
    sent = request.headers.get("x-csrf-token")
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            raw = form.get("csrf_token")
            sent = raw if isinstance(raw, str) else None
    if not sent or not hmac.compare_digest(sent, user.csrf):
        raise CsrfFailed()


def require_write(role: str) -> Any:
    """Dependency for every mutating route: the role is checked first, then the CSRF token."""

    async def dep(request: Request) -> CurrentUser:
        user = current_user(request)
        if user is None:
            raise LoginRequired()
        if not user.can(role):
            raise Forbidden()
        await check_csrf(request, user)
        return user

    return dep


# ---------------------------------------------------------------- login


@dataclass
class LoginResult:
    user: User | None
    error: str | None  # message key: bad_credentials | locked | throttled


def remote_addr(request: Request) -> str:
    return request.client.host if request.client else ""


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def attempt_login(request: Request, username: str, password: str) -> LoginResult:
    """Check a password with per-account lockout and per-address throttling; every attempt is
    recorded in `LoginAttempt` and failures/lockouts in the audit log."""
    ctx = request.app.state.ctx
    web = ctx.settings.web
    remote = remote_addr(request)
    now = _now()
    window = now - timedelta(minutes=web.login_lockout_minutes)
    username = username.strip()[:64]
    with ctx.session() as s:
        remote_failures = (
            s.query(LoginAttempt).filter(LoginAttempt.remote == remote, LoginAttempt.ok.is_(False),
                                         LoginAttempt.at >= window).count()
        )
        if remote_failures >= REMOTE_MAX_FAILURES:
            s.add(LoginAttempt(username=username, remote=remote, ok=False))
            s.commit()
            return LoginResult(None, "throttled")
        user = s.query(User).filter_by(username=username).one_or_none()
        if user is not None and user.locked_until is not None and user.locked_until > now:
            s.add(LoginAttempt(username=username, remote=remote, ok=False))
            s.commit()
            return LoginResult(None, "locked")
        if user is None:
            # same work as for a real account, so response time does not reveal which names exist
            verify_password(_dummy_hash(), password)
            ok = False
        else:
            ok = user.active and verify_password(user.password_hash, password)
        s.add(LoginAttempt(username=username, remote=remote, ok=ok))
        if not ok:
            if user is not None:
                user.failed_logins = (user.failed_logins or 0) + 1
                if user.failed_logins >= web.login_max_failures:
                    user.locked_until = now + timedelta(minutes=web.login_lockout_minutes)
                    user.failed_logins = 0
                    audit(s, username, "user.locked", username, remote=remote)
            audit(s, username or "-", "login.failed", username, remote=remote)
            s.commit()
            return LoginResult(None, "bad_credentials")
        assert user is not None
        user.failed_logins = 0
        user.locked_until = None
        audit(s, user.username, "login", user.username, remote=remote)
        s.commit()
        s.expunge(user)
        return LoginResult(user, None)


def safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
