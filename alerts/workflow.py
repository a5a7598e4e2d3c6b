"""The response workflow of an alert: new → acknowledged → assigned → responded → closed.

Every step writes an immutable `AlertHistory` row and an audit entry and commits, so the office
can always show who did what and when. Illegal transitions raise `WorkflowError`.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from typing import Any

from duluan.db import AlertHistory, AlertRecord, audit
from duluan.errors import WorkflowError

STATES: tuple[str, ...] = ("new", "acknowledged", "assigned", "responded", "closed")
RESPONSE_ACTIONS: tuple[str, ...] = ("statement", "press_conference", "correction_requested", "no_action")
RESPONSE_LABELS_VI: dict[str, str] = {
    "statement": "Ra thông cáo / phát ngôn",
    "press_conference": "Họp báo",
    "correction_requested": "Đề nghị cải chính",
    "no_action": "Không xử lý (có lý do)",
}
STATE_LABELS_VI: dict[str, str] = {
    "new": "Mới", "acknowledged": "Đã tiếp nhận", "assigned": "Đã giao xử lý",
    "responded": "Đã xử lý", "closed": "Đã đóng",
}

# action -> states it may start from
_FROM: dict[str, tuple[str, ...]] = {
    "acknowledge": ("new",),
    "assign": ("new", "acknowledged", "assigned"),
    "respond": ("acknowledged", "assigned"),
    "close": ("responded",),
    "note": STATES,
}


def allowed_actions(state: str) -> list[str]:
    """Workflow actions possible from `state` (for buttons in the UI and CLI checks)."""
    if state not in STATES:
        raise WorkflowError(f"unknown alert state {state!r} (expected one of {', '.join(STATES)})")
    return [a for a, froms in _FROM.items() if state in froms]


def _now() -> datetime:
    return datetime.now(UTC)


def _get(session: Any, alert_id: str) -> AlertRecord:
    alert = session.get(AlertRecord, alert_id)
    if alert is None:
        raise WorkflowError(f"no alert with id {alert_id!r}")
    return alert


def _check(alert: AlertRecord, action: str) -> None:
    if alert.state not in _FROM[action]:
        allowed = ", ".join(allowed_actions(alert.state)) or "none"
        raise WorkflowError(
            f"alert {alert.id}: cannot {action} an alert in state {alert.state!r} "
            f"(allowed: {allowed})"
        )


def _record(session: Any, alert: AlertRecord, actor: str, action: str, **detail: Any) -> None:
    clean = {k: v for k, v in detail.items() if v is not None}
    session.add(AlertHistory(alert_id=alert.id, actor=actor, action=action, detail=clean))
    audit(session, actor, f"alert.{action}", alert.id, **clean)
    alert.updated_at = _now()
    session.commit()


def acknowledge(session: Any, alert_id: str, actor: str, note: str | None = None) -> AlertRecord:
    """The office has seen the alert."""
    alert = _get(session, alert_id)
    _check(alert, "acknowledge")
    alert.state = "acknowledged"
    alert.acknowledged_at = _now()
    _record(session, alert, actor, "acknowledge", note=note)
    return alert


def assign(session: Any, alert_id: str, actor: str, agency: str, assignee: str | None = None,
           deadline: datetime | None = None, note: str | None = None) -> AlertRecord:
    """Route the alert to an agency (and optionally a person and a deadline); re-assigning is
    allowed until someone responds. Assigning a new alert also acknowledges it."""
    alert = _get(session, alert_id)
    _check(alert, "assign")
    if not agency or not agency.strip():
        raise WorkflowError(f"alert {alert.id}: assign needs an agency")
    if deadline is not None and deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=UTC)
    now = _now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
    previous = alert.agency
    alert.state = "assigned"
    alert.agency = agency.strip()
    alert.assignee = assignee
    alert.deadline = deadline
    _record(session, alert, actor, "assign", agency=alert.agency, previous_agency=previous, assignee=assignee,
            deadline=deadline.isoformat() if deadline else None, note=note)
    return alert


def respond(session: Any, alert_id: str, actor: str, action: str, note: str | None = None) -> AlertRecord:
    """Record what was done. `no_action` needs the reason in `note`."""
    alert = _get(session, alert_id)
    if action not in RESPONSE_ACTIONS:
        raise WorkflowError(f"alert {alert_id}: unknown response {action!r} (expected one of "
                            f"{', '.join(RESPONSE_ACTIONS)})")
    _check(alert, "respond")
    if action == "no_action" and not (note and note.strip()):
        raise WorkflowError(f"alert {alert_id}: 'no_action' needs a reason in the note")
    alert.state = "responded"
    alert.responded_at = _now()
    data = dict(alert.data or {})
    data["response"] = {"action": action, "note": note, "by": actor, "at": alert.responded_at.isoformat()}
    alert.data = data
    _record(session, alert, actor, "respond", response=action, note=note)
    return alert


def close(session: Any, alert_id: str, actor: str, note: str | None = None) -> AlertRecord:
    """Close a responded alert; a later article of the same story opens a new alert."""
    alert = _get(session, alert_id)
    _check(alert, "close")
    alert.state = "closed"
    alert.closed_at = _now()
    _record(session, alert, actor, "close", note=note)
    return alert


def add_note(session: Any, alert_id: str, actor: str, note: str) -> AlertRecord:
    """A free-text note in the history (allowed in every state)."""
    alert = _get(session, alert_id)
    if not note or not note.strip():
        raise WorkflowError(f"alert {alert_id}: empty note")
    _record(session, alert, actor, "note", note=note.strip())
    return alert


def history(session: Any, alert_id: str) -> list[AlertHistory]:
    """The alert's history, oldest first."""
    _get(session, alert_id)
    return list(session.query(AlertHistory).filter(AlertHistory.alert_id == alert_id)
                .order_by(AlertHistory.at, AlertHistory.id).all())


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "mean": None, "median": None, "p90": None}
    ordered = sorted(values)
    # nearest-rank p90: the value at or below which 90 % of responses fall
    k = max(0, min(len(ordered) - 1, int(-(-0.9 * len(ordered) // 1)) - 1))
    return {"count": len(values), "mean": round(statistics.fmean(values), 1),
            "median": round(statistics.median(values), 1), "p90": round(ordered[k], 1)}


def response_times(session: Any, since: datetime, until: datetime) -> dict[str, Any]:
    """Time to acknowledge and to respond (seconds) for alerts created in [since, until):
    mean, median, p90 and count each, plus the same per agency (for reports)."""
    rows = session.query(AlertRecord).filter(AlertRecord.created_at >= since, AlertRecord.created_at < until).all()
    ack = [(a.acknowledged_at - a.created_at).total_seconds() for a in rows if a.acknowledged_at]
    resp = [(a.responded_at - a.created_at).total_seconds() for a in rows if a.responded_at]
    by_agency: dict[str, dict[str, Any]] = {}
    for agency in sorted({a.agency for a in rows if a.agency}):
        mine = [a for a in rows if a.agency == agency]
        by_agency[agency] = {
            "alerts": len(mine),
            "acknowledge": _summary([(a.acknowledged_at - a.created_at).total_seconds() for a in mine if a.acknowledged_at]),
            "respond": _summary([(a.responded_at - a.created_at).total_seconds() for a in mine if a.responded_at]),
        }
    ack_s, resp_s = _summary(ack), _summary(resp)
    return {"alerts": len(rows), "unit": "seconds", "acknowledge": ack_s, "respond": resp_s,
            "by_agency": by_agency,
            # the same medians in minutes, as the reports area reads them
            "median_ack_minutes": None if ack_s["median"] is None else round(float(ack_s["median"]) / 60, 1),
            "median_response_minutes": None if resp_s["median"] is None else round(float(resp_s["median"]) / 60, 1)}
