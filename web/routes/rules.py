"""Alert rules: the list (config rules and rules made in the UI), an editor (YAML definition,
validated by `alerts.rules.Rule` when the alerts module is present) and a dry-run preview over
the last days (`alerts.rules.dry_run`). Changes are admin only; UI rules live in `AlertRule`
with origin "ui"."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime
from typing import Any

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from duluan.db import AlertRule, audit
from duluan.errors import DuluanError
from web.render import render
from web.security import CurrentUser, require_user, require_write

router = APIRouter(include_in_schema=False)
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def rules_module() -> Any | None:
    try:
        return importlib.import_module("alerts.rules")
    except ImportError:
        return None


def validate_rule(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition checked by the alerts engineer's Rule model (DuluanError with the reasons)."""
    if not isinstance(definition, dict):
        raise DuluanError("a rule definition must be a mapping")
    rid = str(definition.get("id") or "")
    if not RULE_ID.match(rid):
        raise DuluanError("id: lower-case letters, digits, - and _ (max 64)")
    mod = rules_module()
    if mod is None or not hasattr(mod, "Rule"):
        if not definition.get("name"):
            raise DuluanError("name: required")
        return definition
    try:
        rule = mod.Rule.model_validate(definition)
    except ValidationError as exc:
        raise DuluanError("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())) from None
    return rule.model_dump(mode="json", exclude_defaults=True) | {"id": rid}  # type: ignore[no-any-return]


def all_rules(ctx: Any) -> list[dict[str, Any]]:
    """Config rules (via `alerts.rules.load_rules`) and UI rules, as dicts for display."""
    out: dict[str, dict[str, Any]] = {}
    mod = rules_module()
    if mod is not None and hasattr(mod, "load_rules"):
        try:
            for r in mod.load_rules(ctx):
                d = r.model_dump(mode="json") if hasattr(r, "model_dump") else dict(r)
                out[str(d.get("id"))] = {"definition": d, "origin": d.get("origin", "config"),
                                         "enabled": d.get("enabled", True)}
        except DuluanError as exc:
            out["(error)"] = {"definition": {"id": "(error)", "name": str(exc)}, "origin": "config", "enabled": False}
    with ctx.session() as s:
        for row in s.query(AlertRule).order_by(AlertRule.id).all():
            out[row.id] = {"definition": dict(row.definition, name=row.name), "origin": row.origin,
                           "enabled": row.enabled}
    return [dict(v, id=k) for k, v in sorted(out.items())]


@router.get("/rules")
def rules_page(request: Request, user: CurrentUser = Depends(require_user())) -> Response:
    ctx = request.app.state.ctx
    return render(request, "rules.html", rules=all_rules(ctx), available=rules_module() is not None)


def _editor(request: Request, rule_id: str | None, text: str, error: str | None = None,
            preview: Any = None, status: int = 200) -> Response:
    return render(request, "rule.html", status_code=status, rule_id=rule_id, text=text, error=error,
                  preview=preview, available=rules_module() is not None)


@router.get("/rules/new")
def new_rule(request: Request, user: CurrentUser = Depends(require_user("admin"))) -> Response:
    text = yaml.safe_dump({"id": "new-rule", "name": "", "severity": "medium", "query": "", "topics": []},
                          allow_unicode=True, sort_keys=False)
    return _editor(request, None, text)


@router.get("/rules/{rule_id}")
def rule_page(request: Request, rule_id: str, user: CurrentUser = Depends(require_user())) -> Response:
    ctx = request.app.state.ctx
    found = next((r for r in all_rules(ctx) if r["id"] == rule_id), None)
    if found is None:
        raise HTTPException(404, "rule not found")
    text = yaml.safe_dump(found["definition"], allow_unicode=True, sort_keys=False)
    return _editor(request, rule_id, text)


def _parse(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DuluanError(f"YAML: {exc}") from None
    return validate_rule(data)


@router.post("/rules")
async def save_rule(request: Request, user: CurrentUser = Depends(require_write("admin"))) -> Response:
    ctx = request.app.state.ctx
    form = await request.form()
    text = str(form.get("definition") or "")
    try:
        definition = _parse(text)
    except DuluanError as exc:
        return _editor(request, None, text, error=str(exc), status=400)
    rid = definition["id"]
    with ctx.session() as s:
        row = s.get(AlertRule, rid)
        if row is None:
            s.add(AlertRule(id=rid, name=str(definition.get("name") or rid), definition=definition, origin="ui"))
        else:
            row.definition = definition
            row.name = str(definition.get("name") or rid)
            row.updated_at = datetime.now(UTC)
        audit(s, user.username, "rule.save", rid, definition=definition)
        s.commit()
    return RedirectResponse(f"/rules/{rid}?ok=saved", status_code=303)


@router.post("/rules/preview")
async def preview_rule(request: Request, user: CurrentUser = Depends(require_write("admin"))) -> Response:
    """Dry run of the definition in the editor over the last `days` days (nothing is stored)."""
    ctx = request.app.state.ctx
    form = await request.form()
    text = str(form.get("definition") or "")
    try:
        days = max(1, min(90, int(str(form.get("days") or "7"))))
    except ValueError:
        days = 7
    mod = rules_module()
    if mod is None or not hasattr(mod, "dry_run"):
        return _editor(request, None, text, error="dry-run not available in this build", status=503)
    try:
        definition = _parse(text)
        result = mod.dry_run(ctx, mod.Rule.model_validate(definition), days)
    except (DuluanError, ValidationError) as exc:
        return _editor(request, None, text, error=str(exc), status=400)
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    return _editor(request, definition["id"], text, preview={"days": days, "items": items})


@router.post("/rules/{rule_id}/toggle")
async def toggle_rule(request: Request, rule_id: str, user: CurrentUser = Depends(require_write("admin"))) -> Response:
    ctx = request.app.state.ctx
    with ctx.session() as s:
        row = s.get(AlertRule, rule_id)
        if row is None:
            # a rule of config/alerts.yaml: a database row with the same id overrides it
            found = next((r for r in all_rules(ctx) if r["id"] == rule_id), None)
            if found is None:
                raise HTTPException(404, "rule not found")
            definition = {k: v for k, v in found["definition"].items() if k != "enabled"}
            row = AlertRule(id=rule_id, name=str(definition.get("name") or rule_id), definition=definition,
                            enabled=bool(found["enabled"]), origin="config")
            s.add(row)
        row.enabled = not row.enabled
        row.updated_at = datetime.now(UTC)
        audit(s, user.username, "rule.enable" if row.enabled else "rule.disable", rule_id)
        s.commit()
    return RedirectResponse("/rules?ok=saved", status_code=303)


@router.post("/rules/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: str, user: CurrentUser = Depends(require_write("admin"))) -> Response:
    ctx = request.app.state.ctx
    with ctx.session() as s:
        row = s.get(AlertRule, rule_id)
        if row is None or row.origin != "ui":
            raise HTTPException(404, "UI rule not found (config rules are edited in config/alerts.yaml)")
        audit(s, user.username, "rule.delete", rule_id, definition=row.definition)
        s.delete(row)
        s.commit()
    return RedirectResponse("/rules?ok=deleted", status_code=303)
