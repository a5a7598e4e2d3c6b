"""Login, sessions, cookie flags, lockout, CSRF on login, the session secret and security headers."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import CSRF_RE, PASSWORDS, login


def test_pages_need_login_and_api_needs_auth(client_for: Any) -> None:
    c = client_for(None)
    r = c.get("/search?q=xe")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/search")
    r = c.get("/api/v1/search")
    assert r.status_code == 401 and r.json()["error"]


def test_login_sets_server_side_session_with_safe_cookie(client_for: Any, web_ctx: Any, app: Any) -> None:
    from duluan.db import AuditLog, WebSession

    c = client_for(None)
    r = login(c, "analyst")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    session_part = next(p for p in r.headers.get_list("set-cookie") if p.startswith("duluan_session="))
    assert "HttpOnly" in session_part and "SameSite=lax" in session_part
    assert "Secure" not in session_part  # secure_cookies is false by default (plain-HTTP dev instance)
    value = session_part.split(";")[0].split("=", 1)[1]
    with web_ctx.session() as s:
        ids = [w.id for w in s.query(WebSession).all()]
        assert value not in ids  # only a keyed hash of the cookie is stored
        assert hmac.new(app.state.secret, value.encode(), hashlib.sha256).hexdigest() in ids
        assert s.query(AuditLog).filter_by(action="login", actor="analyst").count() == 1
    assert "duluan_session" in cookie
    assert c.get("/").status_code == 200


def test_secure_cookie_flag_follows_settings(app_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from duluan.context import AppContext
    from tests.web.conftest import seed
    from web.app import create_app

    monkeypatch.setenv("DULUAN_WEB__SECURE_COOKIES", "true")
    ctx = AppContext.load()
    try:
        seed(ctx, limit=0)
        app = create_app(ctx)
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
            r = login(c, "viewer")
            part = next(p for p in r.headers.get_list("set-cookie") if p.startswith("duluan_session="))
            assert "Secure" in part and "HttpOnly" in part
            assert "Strict-Transport-Security" in c.get("/").headers
    finally:
        ctx.close()


def test_wrong_password_and_lockout(client_for: Any, web_ctx: Any) -> None:
    from duluan.db import AuditLog, LoginAttempt, User

    max_failures = web_ctx.settings.web.login_max_failures
    c = client_for(None)
    for _ in range(max_failures):
        r = login(c, "analyst", "wrong-password")
        assert r.status_code == 401
        assert "duluan_session" not in r.headers.get("set-cookie", "")
    # now even the right password is refused while the lock holds
    r = login(c, "analyst")
    assert r.status_code == 401 and "duluan_session" not in r.headers.get("set-cookie", "")
    assert "khóa" in r.text  # the Vietnamese "locked" message
    with web_ctx.session() as s:
        user = s.query(User).filter_by(username="analyst").one()
        assert user.locked_until is not None
        assert s.query(AuditLog).filter_by(action="user.locked", target="analyst").count() == 1
        assert s.query(LoginAttempt).filter_by(username="analyst", ok=False).count() == max_failures + 1
        # once the lock has expired, the right password works again
        from datetime import UTC, datetime, timedelta

        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
        s.commit()
    assert login(c, "analyst").status_code == 303


def test_login_form_needs_its_csrf_token(client_for: Any) -> None:
    c = client_for(None)
    c.get("/login")
    r = c.post("/login", data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": "forged"})
    assert r.status_code == 403
    other = client_for(None)  # a token from another browser does not match this one's cookie
    token = CSRF_RE.search(other.get("/login").text).group(1)  # type: ignore[union-attr]
    fresh = client_for(None)
    r = fresh.post("/login", data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token})
    assert r.status_code == 403


def test_no_open_redirect_after_login(client_for: Any) -> None:
    c = client_for(None)
    token = CSRF_RE.search(c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"], "csrf_token": token,
                               "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_logout_ends_the_session(client_for: Any) -> None:
    from tests.web.conftest import csrf_of

    c = client_for("viewer")
    cookie = c.cookies.get("duluan_session")
    r = c.post("/logout", data={"csrf_token": csrf_of(c)})
    assert r.status_code == 303
    replay = client_for(None)
    replay.cookies.set("duluan_session", cookie)
    assert replay.get("/").status_code == 303  # the old cookie no longer works


def test_disabled_user_loses_access(client_for: Any, web_ctx: Any) -> None:
    from duluan.db import User

    c = client_for("viewer")
    with web_ctx.session() as s:
        s.query(User).filter_by(username="viewer").one().active = False
        s.commit()
    assert c.get("/").status_code == 303
    assert login(client_for(None), "viewer").status_code == 401


@pytest.mark.parametrize("secret", ["", "change-me", "secret", "short"])
def test_placeholder_secret_is_refused(app_env: Any, monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    from duluan.context import AppContext
    from duluan.errors import ConfigError
    from web.app import create_app

    monkeypatch.setenv("DULUAN_SECRET_KEY", secret)
    monkeypatch.delenv("DULUAN_DEBUG", raising=False)
    ctx = AppContext.load()
    with pytest.raises(ConfigError, match="DULUAN_SECRET_KEY"):
        create_app(ctx)
    monkeypatch.setenv("DULUAN_DEBUG", "1")  # the dev mode accepts it with a random secret
    assert len(create_app(ctx).state.secret) == 32
    ctx.close()


def test_security_headers_and_strict_csp(client_for: Any) -> None:
    c = client_for("viewer")
    for path in ("/", "/login", "/search", "/api/v1/me"):
        h = c.get(path).headers
        csp = h["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in csp and "http" not in csp
        assert directives["frame-ancestors"] == "'none'"
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["server-timing"].startswith("app;dur=")
    html = c.get("/").text
    assert "<script>" not in html and "<script src=\"/static/app.js\"" in html
    assert "style=" not in html  # no inline styles: the CSP would block them


def test_api_token_auth(client_for: Any, web_ctx: Any) -> None:
    from duluan.auth import new_token, token_hash
    from duluan.db import ApiToken, User

    token = new_token()
    with web_ctx.session() as s:
        user = s.query(User).filter_by(username="viewer").one()
        s.add(ApiToken(user_id=user.id, name="t", token_hash=token_hash(token)))
        s.commit()
    c = client_for(None)
    r = c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json() == {"username": "viewer", "role": "viewer"}
    r = c.get("/api/v1/search", params={"q": "xe buyt"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["total"] > 0
    assert c.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    # a viewer token cannot act on alerts
    r = c.post("/api/v1/alerts/x/actions", json={"action": "acknowledge"},
               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
