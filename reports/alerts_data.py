"""Alerts of a report period and how each was handled, from the operational DB
(`AlertRecord` + `AlertHistory`). Response times come from `alerts.workflow.response_times` when
the alerts area provides it, else from the records' acknowledged_at / responded_at."""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from duluan.db import AlertHistory, AlertRecord
from duluan.timeutil import fmt_local

log = logging.getLogger("reports.alerts")

STATE_VI = {
    "new": "Mới phát hiện", "acknowledged": "Đã tiếp nhận", "assigned": "Đã giao xử lý",
    "responded": "Đã phản hồi", "closed": "Đã kết thúc",
}
SEVERITY_VI = {"low": "Thấp", "medium": "Trung bình", "high": "Cao", "critical": "Khẩn cấp"}
ACTION_VI = {
    "create": "phát hiện", "created": "phát hiện", "acknowledge": "tiếp nhận", "acknowledged": "tiếp nhận",
    "assign": "giao xử lý", "assigned": "giao xử lý", "respond": "phản hồi", "responded": "phản hồi",
    "close": "kết thúc", "closed": "kết thúc", "comment": "ghi chú", "note": "ghi chú",
    "escalate": "nâng mức cảnh báo", "reopen": "mở lại",
}
RESPONSE_VI = {
    "statement": "Ra thông cáo / phát ngôn", "press_conference": "Họp báo",
    "correction_requested": "Đề nghị cải chính", "no_action": "Không xử lý (có lý do)",
}
# system bookkeeping that says nothing about how the alert was handled
_QUIET = ("update", "attach", "delivery")


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def minutes_between(a: datetime | None, b: datetime | None) -> float | None:
    a, b = _aware(a), _aware(b)
    if a is None or b is None:
        return None
    return max(0.0, (b - a).total_seconds() / 60.0)


def fmt_minutes(m: float | None) -> str:
    """"45 phút", "3 giờ 20 phút", "2 ngày 4 giờ"; "—" when not (yet) done."""
    if m is None:
        return "—"
    m = int(round(m))
    if m < 60:
        return f"{m} phút"
    h, mm = divmod(m, 60)
    if h < 24:
        return f"{h} giờ {mm} phút" if mm else f"{h} giờ"
    d, hh = divmod(h, 24)
    return f"{d} ngày {hh} giờ" if hh else f"{d} ngày"


@dataclass
class AlertRow:
    id: str
    title: str
    created: str
    severity: str
    state: str
    agency: str
    ack_minutes: float | None
    response_minutes: float | None
    handling: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class AlertSummary:
    rows: list[AlertRow]
    median_ack: float | None
    median_response: float | None
    by_state: dict[str, int]
    source: str  # "alerts.workflow" or "records"
    by_agency: list[tuple[str, int, float | None, float | None]] = field(default_factory=list)
    previous_count: int | None = None

    @property
    def count(self) -> int:
        return len(self.rows)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _workflow_medians(session: Any, since: datetime, until: datetime
                      ) -> tuple[float | None, float | None, dict[str, Any]] | None:
    """Medians (and the per-agency figures) from the alerts area's own computation, when it
    exists and says what we need."""
    try:
        from alerts.workflow import response_times  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        out = response_times(session, since, until)
    except Exception as exc:  # noqa: BLE001 - the alerts area is optional here; fall back to records
        log.warning("alerts.workflow.response_times failed (%s); computing from the records", exc)
        return None
    if not isinstance(out, dict):
        return None

    def pick(*names: str) -> float | None:
        for n in names:
            v = out.get(n)
            if isinstance(v, int | float):
                return float(v)
        return None

    ack = pick("median_ack_minutes", "ack_median_minutes", "median_acknowledge_minutes")
    resp = pick("median_response_minutes", "response_median_minutes", "median_respond_minutes")
    if ack is None and resp is None:
        return None
    by_agency = out.get("by_agency")
    return ack, resp, by_agency if isinstance(by_agency, dict) else {}


def _agency_rows(by_agency: dict[str, Any], agency_names: dict[str, str]) -> list[tuple[str, int, float | None, float | None]]:
    """(agency, alerts, median minutes to acknowledge, to respond) from `response_times` output (seconds)."""
    rows = []
    for agency, v in by_agency.items():
        if not isinstance(v, dict):
            continue

        def med(key: str, v: dict[str, Any] = v) -> float | None:
            part = v.get(key)
            m = part.get("median") if isinstance(part, dict) else None
            return float(m) / 60.0 if isinstance(m, int | float) else None

        rows.append((agency_names.get(agency, agency), int(v.get("alerts", 0) or 0), med("acknowledge"), med("respond")))
    return sorted(rows, key=lambda r: -r[1])


def alerts_for_period(session: Any, since: datetime, until: datetime, tz: str,
                      agency_names: dict[str, str] | None = None, limit: int = 200) -> AlertSummary:
    """Alerts created in [since, until), newest first, with their handling and response times."""
    agency_names = agency_names or {}
    records = session.execute(
        select(AlertRecord).where(AlertRecord.created_at >= since, AlertRecord.created_at < until)
        .order_by(AlertRecord.created_at.desc())
    ).scalars().all()
    ids = [r.id for r in records[:limit]]
    history: dict[str, list[AlertHistory]] = {}
    if ids:
        for h in session.execute(
            select(AlertHistory).where(AlertHistory.alert_id.in_(ids)).order_by(AlertHistory.at)
        ).scalars():
            history.setdefault(h.alert_id, []).append(h)
    rows: list[AlertRow] = []
    acks: list[float] = []
    resps: list[float] = []
    by_state: dict[str, int] = {}
    for r in records:
        by_state[r.state] = by_state.get(r.state, 0) + 1
        ack = minutes_between(r.created_at, r.acknowledged_at)
        resp = minutes_between(r.created_at, r.responded_at)
        if ack is not None:
            acks.append(ack)
        if resp is not None:
            resps.append(resp)
        if len(rows) >= limit:
            continue
        handling = []
        for h in history.get(r.id, []):
            if h.action.startswith(_QUIET):
                continue
            what = ACTION_VI.get(h.action, h.action)
            detail = h.detail if isinstance(h.detail, dict) else {}
            bits = [RESPONSE_VI.get(str(detail.get("response")), str(detail.get("response") or "")),
                    agency_names.get(str(detail.get("agency") or ""), str(detail.get("agency") or "")),
                    str(detail.get("note") or "")]
            note = " — ".join(b for b in bits if b)
            handling.append(f"{fmt_local(h.at, tz)} {what} ({h.actor}){': ' + note if note else ''}")
        data = r.data if isinstance(r.data, dict) else {}
        rows.append(AlertRow(
            id=r.id, title=r.title or "(không có tiêu đề)", created=fmt_local(r.created_at, tz),
            severity=SEVERITY_VI.get(r.severity, r.severity), state=STATE_VI.get(r.state, r.state),
            agency=agency_names.get(r.agency or "", r.agency or "—"), ack_minutes=ack, response_minutes=resp,
            handling=handling, reasons=[str(x) for x in data.get("reasons", [])][:3],
        ))
    medians = _workflow_medians(session, since, until)
    if medians is not None:
        return AlertSummary(rows, medians[0], medians[1], by_state, "alerts.workflow",
                            _agency_rows(medians[2], agency_names))
    return AlertSummary(rows, _median(acks), _median(resps), by_state, "records")


def count_alerts(session: Any, since: datetime, until: datetime) -> int:
    """How many alerts were created in [since, until) (the previous-period comparison)."""
    from sqlalchemy import func

    return int(session.execute(select(func.count()).select_from(AlertRecord).where(
        AlertRecord.created_at >= since, AlertRecord.created_at < until)).scalar_one())
