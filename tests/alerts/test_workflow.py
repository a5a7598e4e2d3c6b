"""The response workflow: the whole path, refused transitions, immutable history, response times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts import workflow as wf
from alerts.engine import evaluate_batch
from duluan.db import AlertRecord, AuditLog
from duluan.errors import WorkflowError
from tests.alerts.conftest import article


@pytest.fixture
def alert_id(make_ctx):
    ctx = make_ctx()
    [rec] = evaluate_batch(ctx, [article()])
    return ctx, rec.id


def test_full_path_to_closed_with_history(alert_id):
    ctx, aid = alert_id
    deadline = datetime.now(UTC) + timedelta(hours=4)
    with ctx.session() as s:
        assert wf.allowed_actions("new") == ["acknowledge", "assign", "note"]
        wf.acknowledge(s, aid, "analyst1", "đã xem")
        wf.add_note(s, aid, "analyst1", "Bài đăng trên báo Mỹ, đã có 2 báo dẫn lại")
        wf.assign(s, aid, "lead", "bchqs", assignee="Đại tá Nguyễn Văn A", deadline=deadline, note="trả lời trong ngày")
        rec = wf.respond(s, aid, "bchqs-officer", "statement", "Đã cung cấp thông tin cho phóng viên")
        assert rec.state == "responded" and rec.data["response"]["action"] == "statement"
        rec = wf.close(s, aid, "lead")
        assert rec.state == "closed" and rec.closed_at is not None
        assert rec.agency == "bchqs" and rec.assignee == "Đại tá Nguyễn Văn A"
        assert abs((rec.deadline - deadline).total_seconds()) < 1
        hist = wf.history(s, aid)
        assert [(h.actor, h.action) for h in hist] == [
            ("system", "create"), ("analyst1", "acknowledge"), ("analyst1", "note"), ("lead", "assign"),
            ("bchqs-officer", "respond"), ("lead", "close")]
        assert hist[3].detail["agency"] == "bchqs"
        assert [a.action for a in s.query(AuditLog).filter(AuditLog.target == aid).order_by(AuditLog.id)] == [
            "alert.create", "alert.acknowledge", "alert.note", "alert.assign", "alert.respond", "alert.close"]
        assert wf.allowed_actions("closed") == ["note"]


@pytest.mark.parametrize("steps, bad", [
    ([], lambda s, a: wf.respond(s, a, "x", "statement")),            # new → responded
    ([], lambda s, a: wf.close(s, a, "x")),                            # new → closed
    (["ack"], lambda s, a: wf.acknowledge(s, a, "x")),                 # twice
    (["ack"], lambda s, a: wf.close(s, a, "x")),                       # acknowledged → closed
    (["ack", "respond"], lambda s, a: wf.assign(s, a, "x", "congan")),  # responded → assigned
    (["ack", "respond", "close"], lambda s, a: wf.acknowledge(s, a, "x")),
    (["ack", "respond", "close"], lambda s, a: wf.respond(s, a, "x", "statement")),
])
def test_illegal_transitions_are_refused(alert_id, steps, bad):
    ctx, aid = alert_id
    with ctx.session() as s:
        for step in steps:
            {"ack": lambda: wf.acknowledge(s, aid, "x"), "respond": lambda: wf.respond(s, aid, "x", "press_conference"),
             "close": lambda: wf.close(s, aid, "x")}[step]()
        before = s.get(AlertRecord, aid).state
        n_hist = len(wf.history(s, aid))
        with pytest.raises(WorkflowError):
            bad(s, aid)
        s.rollback()
        assert s.get(AlertRecord, aid).state == before
        assert len(wf.history(s, aid)) == n_hist


def test_no_action_needs_a_reason_and_unknown_actions_fail(alert_id):
    ctx, aid = alert_id
    with ctx.session() as s:
        wf.acknowledge(s, aid, "a")
        with pytest.raises(WorkflowError, match="reason"):
            wf.respond(s, aid, "a", "no_action")
        with pytest.raises(WorkflowError, match="unknown response"):
            wf.respond(s, aid, "a", "ignore")
        with pytest.raises(WorkflowError):
            wf.assign(s, aid, "a", "  ")
        with pytest.raises(WorkflowError):
            wf.acknowledge(s, "no-such-alert", "a")
        rec = wf.respond(s, aid, "a", "no_action", "Thông tin đúng sự thật, không cần phản hồi")
        assert rec.state == "responded"


def test_response_times(make_ctx):
    ctx = make_ctx()
    recs = evaluate_batch(ctx, [article(f"Report {i} on island claims") for i in range(3)])
    t0 = datetime.now(UTC) - timedelta(hours=10)
    with ctx.session() as s:
        for i, r in enumerate(recs):
            rec = s.get(AlertRecord, r.id)
            rec.created_at = t0
            s.commit()
            wf.acknowledge(s, r.id, "a")
            s.get(AlertRecord, r.id).acknowledged_at = t0 + timedelta(minutes=10 * (i + 1))
            s.commit()
        wf.respond(s, recs[0].id, "a", "statement")
        s.get(AlertRecord, recs[0].id).responded_at = t0 + timedelta(hours=2)
        s.commit()
        rt = wf.response_times(s, t0 - timedelta(minutes=1), datetime.now(UTC))
    assert rt["alerts"] == 3
    assert rt["acknowledge"] == {"count": 3, "mean": 1200.0, "median": 1200.0, "p90": 1800.0}
    assert rt["respond"]["count"] == 1 and rt["respond"]["median"] == 7200.0
    assert rt["median_ack_minutes"] == 20.0 and rt["median_response_minutes"] == 120.0
    assert rt["by_agency"]["bchqs"]["alerts"] == 3
    with ctx.session() as s:
        empty = wf.response_times(s, t0 - timedelta(days=30), t0 - timedelta(days=29))
    assert empty["alerts"] == 0 and empty["acknowledge"]["median"] is None
