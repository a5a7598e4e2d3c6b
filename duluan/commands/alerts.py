"""CLI commands: `duluan alerts list|show|ack|assign|respond|close|note|test-rule|retry|run-triggers`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from duluan.errors import DuluanError

alerts_app = typer.Typer(help="Rapid-response alerts: inbox, workflow, rule dry-runs.", no_args_is_help=True)
out = Console()


def _ctx() -> Any:
    from duluan.cli import ctx_from_env

    return ctx_from_env()


def _resolve(session: Any, ref: str) -> str:
    """An alert id, or a unique prefix of one (ids are long to type)."""
    from duluan.db import AlertRecord

    if session.get(AlertRecord, ref) is not None:
        return ref
    hits = [r[0] for r in session.query(AlertRecord.id).filter(AlertRecord.id.like(f"{ref}%")).limit(2).all()]
    if len(hits) == 1:
        return hits[0]
    raise DuluanError(f"no alert with id {ref!r}" if not hits else f"alert id prefix {ref!r} is ambiguous")


def _summary(rec: Any) -> dict[str, Any]:
    d = rec.data or {}
    return {
        "id": rec.id, "rule_id": rec.rule_id, "kind": d.get("kind", "article"), "severity": rec.severity,
        "state": rec.state, "title": rec.title, "agency": rec.agency, "agency_name": d.get("agency_name"),
        "assignee": rec.assignee, "deadline": rec.deadline.isoformat() if rec.deadline else None,
        "created_at": rec.created_at.isoformat(), "updated_at": rec.updated_at.isoformat() if rec.updated_at else None,
        "story_id": rec.story_id, "article_id": rec.article_id, "articles": len(d.get("article_ids", [])),
        "outlets": len(d.get("outlets", [])), "countries": d.get("countries", []),
    }


def _parse_deadline(value: str | None, tz: str) -> datetime | None:
    if not value:
        return None
    from duluan.timeutil import parse_user_datetime

    return parse_user_datetime(value, tz)


@alerts_app.command("list")
def list_alerts(
    state: Annotated[list[str], typer.Option("--state", help="new, acknowledged, assigned, responded, closed (repeatable).")] = [],  # noqa: B006
    severity: Annotated[list[str], typer.Option("--severity", help="low, medium, high, critical (repeatable).")] = [],  # noqa: B006
    agency: Annotated[str | None, typer.Option(help="Agency id.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only alerts that are not closed.")] = False,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
) -> None:
    """The alert inbox, newest first."""
    from duluan.db import AlertRecord

    ctx = _ctx()
    with ctx.session() as s:
        q = s.query(AlertRecord)
        if state:
            q = q.filter(AlertRecord.state.in_(state))
        if open_only:
            q = q.filter(AlertRecord.state != "closed")
        if severity:
            q = q.filter(AlertRecord.severity.in_(severity))
        if agency:
            q = q.filter(AlertRecord.agency == agency)
        rows = q.order_by(AlertRecord.created_at.desc()).limit(limit).all()
    if as_json:
        for r in rows:
            print(json.dumps(_summary(r), ensure_ascii=False))
        return
    from rich.table import Table

    from duluan.timeutil import fmt_local

    t = Table(title=f"{len(rows)} cảnh báo (alerts)")
    t.add_column("id", no_wrap=True, min_width=12)
    for col in ("Thời gian", "Mức", "Trạng thái", "Đơn vị", "Bài", "Tiêu đề"):
        t.add_column(col)
    for r in rows:
        t.add_row(r.id, fmt_local(r.created_at, ctx.settings.timezone), r.severity, r.state, r.agency or "",
                  str(len((r.data or {}).get("article_ids", []))), r.title[:80])
    out.print(t)


@alerts_app.command("show")
def show_alert(
    alert_id: Annotated[str, typer.Argument(help="Alert id (or a unique prefix).")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """One alert: why it fired, its articles, talking points, deliveries and history."""
    from alerts.render import alert_payload
    from alerts.workflow import allowed_actions, history
    from duluan.db import AlertRecord, Delivery

    ctx = _ctx()
    with ctx.session() as s:
        rec = s.get(AlertRecord, _resolve(s, alert_id))
        hist = history(s, rec.id)
        dels = s.query(Delivery).filter(Delivery.alert_id == rec.id).order_by(Delivery.id).all()
        doc = alert_payload(rec, ctx.settings.web.base_url)["alert"]
        doc["allowed_actions"] = allowed_actions(rec.state)
        doc["response"] = (rec.data or {}).get("response")
        doc["deliveries"] = [{"channel": d.channel, "target": d.target, "state": d.state, "attempts": d.attempts,
                              "last_error": d.last_error,
                              "next_try_at": d.next_try_at.isoformat() if d.next_try_at else None,
                              "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None} for d in dels]
        doc["history"] = [{"at": h.at.isoformat(), "actor": h.actor, "action": h.action, "detail": h.detail}
                          for h in hist]
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    from duluan.timeutil import fmt_local

    out.print(f"[bold]{doc['title']}[/]  ({doc['id']})")
    out.print(f"mức: {doc['severity']} · trạng thái: {doc['state']} · đơn vị: {doc['agency_name'] or doc['agency'] or '-'}"
              f" · người xử lý: {doc['assignee'] or '-'}")
    art = doc.get("article") or {}
    if art:
        out.print(f"{art.get('source_name')} ({art.get('country')}, {art.get('kind')}, {art.get('language')}) · {art.get('url')}")
    out.print("Vì sao: " + "; ".join(doc["reasons"]))
    if doc["talking_points"]:
        out.print("Tài liệu lập luận:")
        for p in doc["talking_points"]:
            out.print(f"  - {p['title']} ({p['id']})")
    out.print("Gửi: " + ", ".join(f"{d['channel']}={d['state']}" for d in doc["deliveries"]))
    out.print("Lịch sử:")
    for h in doc["history"]:
        out.print(f"  {fmt_local(datetime.fromisoformat(h['at']), ctx.settings.timezone)} {h['actor']}: {h['action']} "
                  f"{json.dumps(h['detail'], ensure_ascii=False) if h['detail'] else ''}", highlight=False)
    out.print("Có thể: " + ", ".join(doc["allowed_actions"]))


def _actor(actor: str | None) -> str:
    import getpass

    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


ActorOpt = Annotated[str | None, typer.Option("--actor", help="Who does it (default: cli:<login>).")]
NoteOpt = Annotated[str | None, typer.Option("--note", "-m", help="A note for the history.")]


@alerts_app.command("ack")
def ack(alert_id: Annotated[str, typer.Argument(help="Alert id.")], note: NoteOpt = None, actor: ActorOpt = None) -> None:
    """Acknowledge an alert (the office has seen it)."""
    from alerts.workflow import acknowledge

    ctx = _ctx()
    with ctx.session() as s:
        rec = acknowledge(s, _resolve(s, alert_id), _actor(actor), note)
        out.print(f"{rec.id}: {rec.state}")


@alerts_app.command("assign")
def assign_cmd(
    alert_id: Annotated[str, typer.Argument(help="Alert id.")],
    agency: Annotated[str, typer.Option("--agency", help="Agency id from the city file.")],
    assignee: Annotated[str | None, typer.Option("--assignee", help="The person responsible.")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="YYYY-MM-DD or ISO 8601 (office time).")] = None,
    note: NoteOpt = None, actor: ActorOpt = None,
) -> None:
    """Assign an alert to an agency (and a person, with a deadline)."""
    from alerts.workflow import assign

    ctx = _ctx()
    if ctx.city.agency(agency) is None:
        known = ", ".join(a.id for a in ctx.city.agencies)
        raise DuluanError(f"--agency: unknown agency {agency!r} (expected one of {known})")
    with ctx.session() as s:
        rec = assign(s, _resolve(s, alert_id), _actor(actor), agency, assignee,
                     _parse_deadline(deadline, ctx.settings.timezone), note)
        out.print(f"{rec.id}: {rec.state} → {rec.agency}")


@alerts_app.command("respond")
def respond_cmd(
    alert_id: Annotated[str, typer.Argument(help="Alert id.")],
    action: Annotated[str, typer.Option("--action", help="statement, press_conference, correction_requested or no_action.")],
    note: NoteOpt = None, actor: ActorOpt = None,
) -> None:
    """Record the response (no_action needs a reason in --note)."""
    from alerts.workflow import respond

    ctx = _ctx()
    with ctx.session() as s:
        rec = respond(s, _resolve(s, alert_id), _actor(actor), action, note)
        out.print(f"{rec.id}: {rec.state} ({action})")


@alerts_app.command("close")
def close_cmd(alert_id: Annotated[str, typer.Argument(help="Alert id.")], note: NoteOpt = None,
              actor: ActorOpt = None) -> None:
    """Close a responded alert."""
    from alerts.workflow import close

    ctx = _ctx()
    with ctx.session() as s:
        rec = close(s, _resolve(s, alert_id), _actor(actor), note)
        out.print(f"{rec.id}: {rec.state}")


@alerts_app.command("note")
def note_cmd(alert_id: Annotated[str, typer.Argument(help="Alert id.")],
             text: Annotated[str, typer.Argument(help="The note.")], actor: ActorOpt = None) -> None:
    """Add a note to an alert's history."""
    from alerts.workflow import add_note

    ctx = _ctx()
    with ctx.session() as s:
        rec = add_note(s, _resolve(s, alert_id), _actor(actor), text)
        out.print(f"{rec.id}: note added")


@alerts_app.command("test-rule")
def test_rule(
    file: Annotated[Path, typer.Argument(help="A YAML file with one rule (or `rules:` with several).")],
    days: Annotated[int, typer.Option("--days", help="Look back this many days.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
) -> None:
    """Dry-run a rule over the last N days of the index: what it would have fired (nothing is stored)."""
    from alerts.rules import Rule, dry_run
    from duluan.settings import load_model, read_yaml

    data = read_yaml(file)
    items = data.get("rules") if isinstance(data, dict) and "rules" in data else [data]
    if not isinstance(items, list) or not items:
        raise DuluanError(f"{file}: expected one rule (a mapping) or `rules:` with a list of rules")
    ctx = _ctx()
    for i, item in enumerate(items):
        rule = load_model(Path(f"{file}" + (f" rules.{i}" if len(items) > 1 else "")), Rule, item)
        fired = dry_run(ctx, rule, days=days)
        if as_json:
            for e in fired:
                print(json.dumps(e, ensure_ascii=False))
            continue
        out.print(f"[bold]{rule.id}[/] ({rule.name}): would have fired {len(fired)} alert(s) in the last {days} day(s)")
        for e in fired:
            out.print(f"  {e['published_at'][:16]} [{e['severity']}] {e['source_name'] or e['source']} "
                      f"({e['country']}, {e['language']}) {e['title'][:90]}"
                      + (f"  +{e['articles'] - 1} bài cùng câu chuyện" if e["articles"] > 1 else ""), highlight=False)


@alerts_app.command("retry")
def retry_cmd(
    dead: Annotated[bool, typer.Option("--dead", help="Also give dead letters a fresh set of attempts.")] = False,
) -> None:
    """Attempt every due delivery now (the scheduler does this every 2 minutes)."""
    from alerts.engine import retry_deliveries
    from duluan.db import Delivery, audit

    ctx = _ctx()
    if dead:
        with ctx.session() as s:
            rows = s.query(Delivery).filter(Delivery.state == "dead").all()
            for d in rows:
                d.state, d.attempts, d.next_try_at = "pending", 0, datetime.now(UTC)
                audit(s, _actor(None), "alert.delivery.requeue", d.alert_id, channel=d.channel, to=d.target)
            s.commit()
        out.print(f"{len(rows)} dead letter(s) queued again")
    out.print(retry_deliveries(ctx))


@alerts_app.command("run-triggers")
def run_triggers_cmd() -> None:
    """Evaluate the aggregate triggers (spikes, spread, first foreign pickup) now."""
    from alerts.engine import run_aggregate_triggers, wait_for_deliveries

    out.print(run_aggregate_triggers(_ctx()))
    wait_for_deliveries(timeout=120)


@alerts_app.command("stats")
def stats_cmd(
    days: Annotated[int, typer.Option("--days", help="Alerts created in the last N days.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Response times: time to acknowledge and to respond (mean, median, p90)."""
    from datetime import timedelta

    from alerts.workflow import response_times

    ctx = _ctx()
    now = datetime.now(UTC)
    with ctx.session() as s:
        rt = response_times(s, now - timedelta(days=days), now)
    if as_json:
        print(json.dumps(rt, ensure_ascii=False))
        return
    out.print(f"{rt['alerts']} alert(s) in the last {days} day(s)")
    for k in ("acknowledge", "respond"):
        v = rt[k]
        out.print(f"{k}: n={v['count']} mean={v['mean']}s median={v['median']}s p90={v['p90']}s")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root `duluan` app."""
    app.add_typer(alerts_app, name="alerts")
