"""CLI commands: `duluan users add|list|set-role|disable|enable|token|revoke` — admins manage web
accounts and API tokens. Passwords come from `--password-env VAR` or a prompt (never an argument,
so they stay out of shell history); every change is written to the audit log as actor "cli"."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from duluan.errors import DuluanError

users_app = typer.Typer(help="Web UI accounts (admin / analyst / viewer) and API tokens.", no_args_is_help=True)
out = Console()
MIN_PASSWORD = 10


def _ctx() -> Any:
    from duluan.cli import ctx_from_env

    return ctx_from_env()


def _password(env_var: str | None, username: str) -> str:
    if env_var:
        password = os.environ.get(env_var, "")
        if not password:
            raise DuluanError(f"--password-env: the environment variable {env_var} is empty or not set")
    elif sys.stdin.isatty():
        password = typer.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True)
    else:
        raise DuluanError("no password: use --password-env VAR or run interactively")
    if len(password) < MIN_PASSWORD:
        raise DuluanError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


def _role(role: str) -> str:
    from duluan.auth import ROLES

    if role not in ROLES:
        raise DuluanError(f"--role: expected one of {', '.join(ROLES)}, got {role!r}")
    return role


def _user(session: Any, username: str) -> Any:
    from duluan.db import User

    user = session.query(User).filter_by(username=username).one_or_none()
    if user is None:
        raise DuluanError(f"no user {username!r} (see `duluan users list`)")
    return user


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ -).")],
    role: Annotated[str, typer.Option(help="admin, analyst or viewer.")] = "viewer",
    full_name: Annotated[str, typer.Option("--name", help="Full name shown in the UI.")] = "",
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    password_env: Annotated[str | None, typer.Option("--password-env", help="Read the password from this environment variable.")] = None,
) -> None:
    """Create an account."""
    import re

    from duluan.auth import hash_password
    from duluan.db import User, audit

    if not re.match(r"^[a-zA-Z0-9._-]{2,64}$", username):
        raise DuluanError("username: 2-64 letters, digits, '.', '_' or '-'")
    role = _role(role)
    ctx = _ctx()
    with ctx.session() as s:
        if s.query(User).filter_by(username=username).one_or_none() is not None:
            raise DuluanError(f"user {username!r} already exists")
        password = _password(password_env, username)
        s.add(User(username=username, password_hash=hash_password(password), role=role, full_name=full_name,
                   email=email))
        audit(s, "cli", "user.create", username, role=role)
        s.commit()
    out.print(f"created {role} [bold]{username}[/]")


@users_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False) -> None:
    """Every account with its role and state."""
    from duluan.db import ApiToken, User

    ctx = _ctx()
    with ctx.session() as s:
        rows = s.query(User).order_by(User.username).all()
        tokens = {u.id: s.query(ApiToken).filter_by(user_id=u.id).count() for u in rows}
    if as_json:
        for u in rows:
            print(json.dumps({"username": u.username, "role": u.role, "active": u.active, "name": u.full_name,
                              "email": u.email, "locked_until": u.locked_until.isoformat() if u.locked_until else None,
                              "tokens": tokens[u.id]}, ensure_ascii=False))
        return
    t = Table(title="users")
    for col in ("username", "role", "active", "name", "locked until", "API tokens"):
        t.add_column(col)
    for u in rows:
        t.add_row(u.username, u.role, "yes" if u.active else "no", u.full_name,
                  u.locked_until.isoformat() if u.locked_until else "", str(tokens[u.id]))
    out.print(t)


@users_app.command("set-role")
def set_role(username: Annotated[str, typer.Argument()], role: Annotated[str, typer.Argument(help="admin, analyst or viewer.")]) -> None:
    """Change an account's role (its open sessions end)."""
    from duluan.db import WebSession, audit

    role = _role(role)
    ctx = _ctx()
    with ctx.session() as s:
        user = _user(s, username)
        old = user.role
        user.role = role
        s.query(WebSession).filter_by(user_id=user.id).delete()
        audit(s, "cli", "user.update", username, role=[old, role])
        s.commit()
    out.print(f"{username}: {old} -> {role}")


def _set_active(username: str, active: bool) -> None:
    from duluan.db import ApiToken, WebSession, audit

    ctx = _ctx()
    with ctx.session() as s:
        user = _user(s, username)
        user.active = active
        if not active:
            s.query(WebSession).filter_by(user_id=user.id).delete()
        else:
            user.locked_until = None
            user.failed_logins = 0
        audit(s, "cli", "user.update", username, active=active,
              tokens=s.query(ApiToken).filter_by(user_id=user.id).count())
        s.commit()
    out.print(f"{username}: {'enabled' if active else 'disabled'}")


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable an account: it can no longer log in, its sessions end, its API tokens stop working."""
    _set_active(username, False)


@users_app.command("enable")
def enable(username: Annotated[str, typer.Argument()]) -> None:
    """Re-enable an account (also clears a login lockout)."""
    _set_active(username, True)


@users_app.command("password")
def password(username: Annotated[str, typer.Argument()],
             password_env: Annotated[str | None, typer.Option("--password-env", help="Read the password from this environment variable.")] = None) -> None:
    """Set a new password (open sessions end)."""
    from duluan.auth import hash_password
    from duluan.db import WebSession, audit

    ctx = _ctx()
    with ctx.session() as s:
        user = _user(s, username)
        user.password_hash = hash_password(_password(password_env, username))
        user.locked_until = None
        user.failed_logins = 0
        s.query(WebSession).filter_by(user_id=user.id).delete()
        audit(s, "cli", "user.update", username, password="reset")
        s.commit()
    out.print(f"{username}: password changed")


@users_app.command("token")
def token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="What the token is for (shown in listings).")] = "api",
) -> None:
    """Create an API token for the JSON API (`Authorization: Bearer <token>`); it is printed once,
    only its hash is stored. The token acts with the user's role."""
    from duluan.auth import new_token, token_hash
    from duluan.db import ApiToken, audit

    ctx = _ctx()
    value = new_token()
    with ctx.session() as s:
        user = _user(s, username)
        s.add(ApiToken(user_id=user.id, name=name, token_hash=token_hash(value)))
        audit(s, "cli", "token.create", username, name=name)
        s.commit()
    print(value)


@users_app.command("revoke")
def revoke(username: Annotated[str, typer.Argument()],
           name: Annotated[str | None, typer.Option(help="Only tokens with this name (default: all).")] = None) -> None:
    """Delete a user's API tokens."""
    from duluan.db import ApiToken, audit

    ctx = _ctx()
    with ctx.session() as s:
        user = _user(s, username)
        q = s.query(ApiToken).filter_by(user_id=user.id)
        if name:
            q = q.filter_by(name=name)
        n = q.delete()
        audit(s, "cli", "token.revoke", username, name=name, count=n)
        s.commit()
    out.print(f"{username}: {n} token(s) revoked")


def register(app: typer.Typer) -> None:
    """Add `duluan users …` to the root app."""
    app.add_typer(users_app, name="users")
