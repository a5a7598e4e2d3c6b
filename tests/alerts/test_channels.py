"""Channels against real loopback servers: SMTP (aiosmtpd) and an HTTP webhook receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from alerts.channels.webhook import SIGNATURE_HEADER, verify
from alerts.engine import evaluate_batch, retry_deliveries, wait_for_deliveries
from duluan.db import AlertHistory, Delivery
from tests.alerts.conftest import WEBHOOK_SECRET, article


def _deliveries(ctx, channel: str) -> list[Delivery]:
    with ctx.session() as s:
        return s.query(Delivery).filter(Delivery.channel == channel).order_by(Delivery.id).all()


def test_email_delivered_with_vietnamese_subject_and_bodies(make_ctx, smtp_server):
    ctx = make_ctx(smtp_port=smtp_server.port)
    a = article("Saigon under fire: report questions city's island claims")
    alerts = evaluate_batch(ctx, [a])
    wait_for_deliveries()
    assert len(alerts) == 1
    assert len(smtp_server.raw) == 1
    raw = smtp_server.raw[0]
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers must be pure ASCII on the wire
    assert "Subject: =?utf-8?" in head.replace("\r\n", "")  # RFC 2047 encoded-word
    msg = smtp_server.parsed()[0]
    subject = str(msg["Subject"])
    assert subject.startswith("[Dư Luận][CAO] Cảnh báo: ")
    assert "Saigon under fire" in subject
    assert msg["From"] == "du-luan@stttt.example.gov.vn"
    assert "office@stttt.example.gov.vn" in msg["To"]
    assert msg["X-DuLuan-Alert"] == alerts[0].id
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for needed in ("Saigon under fire", "Foreign Daily", "Quốc gia: US", "tiếng Anh", "Vì sao có cảnh báo", a.url,
                   "Tài liệu lập luận gợi ý", "Trích đoạn", "Đơn vị xử lý"):
        assert needed in plain
    assert "Lập trường của Việt Nam về chủ quyền biển đảo" in plain  # talking point attached
    assert "<h3>Vì sao có cảnh báo</h3>" in html and f"/alerts/{alerts[0].id}" in html
    assert [d.state for d in _deliveries(ctx, "email")] == ["sent"]


def test_webhook_signed_payload(make_ctx, hook):
    ctx = make_ctx(hooks=[{"id": "office-bot", "url": hook.url, "retries": 2}])
    alerts = evaluate_batch(ctx, [article()])
    wait_for_deliveries()
    assert hook.behaviour.calls == 1
    got = hook.behaviour.received[0]
    assert verify(WEBHOOK_SECRET, got.body, got.headers[SIGNATURE_HEADER])
    assert got.headers[SIGNATURE_HEADER].startswith("sha256=")
    assert not verify("another-secret", got.body, got.headers[SIGNATURE_HEADER])
    doc = json.loads(got.body)
    assert doc["event"] == "alert.created"
    assert doc["alert"]["id"] == alerts[0].id
    assert doc["alert"]["agency"] == "bchqs"  # sea/islands → Military Command and Border Guard
    assert doc["alert"]["talking_points"][0]["id"] == "sea-islands"
    assert doc["alert"]["article"]["country"] == "US"
    assert doc["text"].startswith("[Dư Luận][CAO] Cảnh báo:") and f"/alerts/{alerts[0].id}" in doc["text"]


def test_webhook_fails_twice_then_succeeds_with_backoff(make_ctx):
    from tests.alerts.servers import WebhookReceiver

    hook = WebhookReceiver(fail_first=2).start()
    try:
        ctx = make_ctx(hooks=[{"id": "bot", "url": hook.url, "retries": 3}])
        evaluate_batch(ctx, [article()])
        wait_for_deliveries()
        [d] = _deliveries(ctx, "webhook")
        assert (d.state, d.attempts) == ("failed", 1)
        first_retry = d.next_try_at
        assert first_retry > datetime.now(UTC) + timedelta(seconds=20)  # backoff, not a hot loop
        assert retry_deliveries(ctx) == "nothing due"  # not yet due
        retry_deliveries(ctx, now=first_retry + timedelta(seconds=1))
        [d] = _deliveries(ctx, "webhook")
        assert (d.state, d.attempts) == ("failed", 2)
        assert d.next_try_at - first_retry > timedelta(seconds=60)  # the wait grows
        retry_deliveries(ctx, now=d.next_try_at + timedelta(seconds=1))
        [d] = _deliveries(ctx, "webhook")
        assert (d.state, d.attempts) == ("sent", 3)
        assert hook.behaviour.calls == 3
        assert all(verify(WEBHOOK_SECRET, r.body, r.headers[SIGNATURE_HEADER]) for r in hook.behaviour.received)
    finally:
        hook.stop()


def test_webhook_that_never_succeeds_becomes_dead_letter_and_inbox_keeps_alert(make_ctx):
    from tests.alerts.servers import WebhookReceiver

    hook = WebhookReceiver(always_fail=True).start()
    try:
        ctx = make_ctx(hooks=[{"id": "bot", "url": hook.url, "retries": 2}])
        [alert] = evaluate_batch(ctx, [article()])
        wait_for_deliveries()
        when = datetime.now(UTC)
        for _ in range(5):
            when += timedelta(hours=4)
            retry_deliveries(ctx, now=when)
        [d] = _deliveries(ctx, "webhook")
        assert d.state == "dead"
        assert d.attempts == 3  # first try + 2 retries
        assert "HTTP 500" in d.last_error
        assert hook.behaviour.calls == 3
        assert [x.state for x in _deliveries(ctx, "inbox")] == ["sent"]
        with ctx.session() as s:
            actions = [h.action for h in s.query(AlertHistory).filter_by(alert_id=alert.id)]
        assert "delivery.dead" in actions
        # the receiver is fixed; the office re-drives the dead letter from the CLI
        from duluan.cli import main

        hook.behaviour.always_fail = False
        assert main(["alerts", "retry", "--dead"]) == 0
        [d] = _deliveries(ctx, "webhook")
        assert d.state == "sent" and d.attempts == 1 and hook.behaviour.calls == 4
    finally:
        hook.stop()


def test_unreachable_smtp_is_retried_not_lost(make_ctx):
    from tests.alerts.servers import free_port

    ctx = make_ctx(smtp_port=free_port())  # nothing listens there
    [alert] = evaluate_batch(ctx, [article()])
    wait_for_deliveries()
    [d] = _deliveries(ctx, "email")
    assert d.state == "failed" and d.attempts == 1 and "SMTP" in d.last_error
    assert d.next_try_at is not None


def test_throttle_per_channel_holds_extra_messages(make_ctx, hook):
    ctx = make_ctx(hooks=[{"id": "bot", "url": hook.url}], throttle_per_hour=2)
    batch = [article(f"Island claims report number {i}") for i in range(4)]
    alerts = evaluate_batch(ctx, batch)
    wait_for_deliveries()
    assert len(alerts) == 4
    states = sorted(d.state for d in _deliveries(ctx, "webhook"))
    assert states == ["pending", "pending", "sent", "sent"]
    assert hook.behaviour.calls == 2
    held = [d for d in _deliveries(ctx, "webhook") if d.state == "pending"]
    assert all("throttled" in d.last_error for d in held)
    retry_deliveries(ctx, now=datetime.now(UTC) + timedelta(hours=1, minutes=1))
    assert sorted(d.state for d in _deliveries(ctx, "webhook")) == ["sent"] * 4


def test_smtp_login_with_password_from_environment(make_ctx, monkeypatch):
    from tests.alerts.servers import SmtpServer

    srv = SmtpServer(credentials=("duluan", "s3cret-pass")).start()
    try:
        monkeypatch.setenv("DULUAN_SMTP_PASSWORD", "s3cret-pass")
        ctx = make_ctx(smtp_port=srv.port)
        ctx.settings.smtp.username = "duluan"
        ctx.settings.smtp.timeout = 3
        evaluate_batch(ctx, [article()])
        wait_for_deliveries()
        assert srv.logins == [("duluan", True)]
        assert len(srv.raw) == 1
        monkeypatch.setenv("DULUAN_SMTP_PASSWORD", "wrong")
        evaluate_batch(ctx, [article("Another island report")])
        wait_for_deliveries()
        assert len(srv.raw) == 1
        failed = [d for d in _deliveries(ctx, "email") if d.state == "failed"]
        assert len(failed) == 1 and failed[0].last_error.startswith("SMTP 127.0.0.1")
        assert srv.logins[-1] == ("duluan", False)
    finally:
        srv.stop()


def test_starttls_with_login(make_ctx, monkeypatch, tmp_path):
    """STARTTLS (the server refuses mail before it) with certificate verification and AUTH."""
    import ssl

    from tests.alerts.servers import SmtpServer, self_signed_cert

    cert, key = self_signed_cert(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    srv = SmtpServer(credentials=("duluan", "tls-pass"), tls_context=server_ctx).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", cert)  # the client trusts this certificate only
        monkeypatch.setenv("DULUAN_SMTP_PASSWORD", "tls-pass")
        ctx = make_ctx(smtp_port=srv.port)
        ctx.settings.smtp.security = "starttls"
        ctx.settings.smtp.username = "duluan"
        ctx.settings.smtp.timeout = 5
        evaluate_batch(ctx, [article()])
        wait_for_deliveries()
        assert [d.state for d in _deliveries(ctx, "email")] == ["sent"]
        assert srv.logins == [("duluan", True)] and len(srv.raw) == 1
        ctx.settings.smtp.security = "none"  # without STARTTLS the server refuses the mail
        evaluate_batch(ctx, [article("Second island report")])
        wait_for_deliveries()
        assert len(srv.raw) == 1
        assert sorted(d.state for d in _deliveries(ctx, "email")) == ["failed", "sent"]
    finally:
        srv.stop()


def test_implicit_tls_smtps(make_ctx, monkeypatch, tmp_path):
    import ssl

    from tests.alerts.servers import SmtpServer, self_signed_cert

    cert, key = self_signed_cert(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    srv = SmtpServer(implicit_tls=server_ctx).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", cert)
        ctx = make_ctx(smtp_port=srv.port)
        ctx.settings.smtp.security = "ssl"
        ctx.settings.smtp.timeout = 5
        evaluate_batch(ctx, [article()])
        wait_for_deliveries()
        assert [d.state for d in _deliveries(ctx, "email")] == ["sent"] and len(srv.raw) == 1
    finally:
        srv.stop()


def test_escalation_is_sent_again_as_escalated(make_ctx, hook):
    ctx = make_ctx(hooks=[{"id": "bot", "url": hook.url}])
    for i, (src, country) in enumerate((("a", "US"), ("b", "GB"), ("c", "FR"))):
        evaluate_batch(ctx, [article(f"Island story part {i}", story="st-esc", source=src, country=country)])
        wait_for_deliveries()
    events = [json.loads(r.body)["event"] for r in hook.behaviour.received]
    # created, then one escalation when the third outlet and third country arrive (high → critical)
    assert events == ["alert.created", "alert.escalated"]
    last = json.loads(hook.behaviour.received[-1].body)["alert"]
    assert last["severity"] == "critical" and last["escalations"][-1]["to"] == "critical"
    assert len(last["article_ids"]) == 3
