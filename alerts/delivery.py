"""The delivery queue: one `Delivery` row per alert × channel × target, attempted at once after
the alert is stored and retried with backoff by the `alerts-retry-deliveries` job. A row is
claimed (state `sending`) before an attempt, so the background sender and the job never send
twice. After the channel's last attempt the row stays as a dead letter (state `dead`).
Throttling: at most `alerts.throttle_per_hour` messages per channel target per hour; a
throttled delivery waits (it is never dropped) and critical alerts are not throttled."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, update

from alerts.channels.base import DeliveryError, channel_for
from alerts.render import render
from duluan.db import AlertHistory, AlertRecord, Delivery

if TYPE_CHECKING:
    from duluan.context import AppContext

log = logging.getLogger("duluan.alerts.delivery")

# seconds to wait after attempt n (1-based) failed
BACKOFF_SECONDS: tuple[int, ...] = (30, 120, 600, 1800, 3600, 3 * 3600)
STALE_SENDING = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def _now() -> datetime:
    return datetime.now(UTC)


def create_deliveries(session: Any, ctx: AppContext, alert: AlertRecord, channels: Iterable[str],
                      now: datetime | None = None) -> list[Delivery]:
    """Queue the alert on each channel and target (the inbox one is delivered on the spot)."""
    now = now or _now()
    out = []
    for name in channels:
        ch = channel_for(name)
        for target in ch.targets(ctx, alert):
            d = Delivery(alert_id=alert.id, channel=name, target=target, state="pending", attempts=0,
                         next_try_at=now, created_at=now)
            if name == "inbox":
                d.state, d.attempts, d.delivered_at, d.next_try_at = "sent", 1, now, None
            session.add(d)
            out.append(d)
    return out


def _event_of(delivery: Delivery, alert: AlertRecord) -> str:
    esc = (alert.data or {}).get("escalations") or []
    if esc:
        last = datetime.fromisoformat(esc[-1]["at"])
        if delivery.created_at is not None and delivery.created_at >= last - timedelta(seconds=1):
            return "escalated"
    return "created"


def _throttled_until(session: Any, ctx: AppContext, d: Delivery, alert: AlertRecord, now: datetime) -> datetime | None:
    if alert.severity == "critical":
        return None
    limit = ctx.settings.alerts.throttle_per_hour
    since = now - timedelta(hours=1)
    q = session.query(func.count(Delivery.id), func.min(Delivery.delivered_at)).filter(
        Delivery.channel == d.channel, Delivery.target == d.target, Delivery.state == "sent",
        Delivery.delivered_at >= since)
    n, oldest = q.one()
    if n >= limit and oldest is not None:
        return oldest + timedelta(hours=1)
    return None


def _claim(session: Any, delivery_id: int, now: datetime) -> bool:
    res = session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.state.in_(("pending", "failed")),
                               (Delivery.next_try_at.is_(None)) | (Delivery.next_try_at <= now))
        .values(state="sending"))
    session.commit()
    return res.rowcount == 1


_TARGET_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_TARGET_LOCKS_GUARD = threading.Lock()


def _target_lock(channel: str, target: str) -> threading.Lock:
    """One sender at a time per channel target in this process: the throttle count and the
    send must not interleave (different targets still go out in parallel)."""
    with _TARGET_LOCKS_GUARD:
        return _TARGET_LOCKS.setdefault((channel, target), threading.Lock())


def attempt(ctx: AppContext, delivery_id: int, now: datetime | None = None) -> str:
    """One attempt of one delivery; returns its new state (or `skipped` if not due/claimed)."""
    now = now or _now()
    with ctx.session() as s:
        if not _claim(s, delivery_id, now):
            return "skipped"
        d = s.get(Delivery, delivery_id)
        with _target_lock(d.channel, d.target):
            return _attempt_claimed(ctx, s, d, now)


def _attempt_claimed(ctx: AppContext, s: Any, d: Delivery, now: datetime) -> str:
    alert = s.get(AlertRecord, d.alert_id)
    until = _throttled_until(s, ctx, d, alert, now)
    if until is not None:
        d.state, d.next_try_at = "pending", until
        d.last_error = f"throttled: {ctx.settings.alerts.throttle_per_hour}/hour reached on this channel"
        s.commit()
        return "throttled"
    ch = channel_for(d.channel)
    d.attempts += 1
    try:
        note = ch.send(ctx, render(alert, ctx.settings.web.base_url, ctx.settings.timezone, _event_of(d, alert)),
                       d.target)
    except DeliveryError as exc:
        d.last_error = str(exc)[:2000]
        if d.attempts >= ch.max_attempts(ctx, d.target):
            d.state, d.next_try_at = "dead", None
            s.add(AlertHistory(alert_id=alert.id, actor="system", action="delivery.dead",
                               detail={"channel": d.channel, "target": d.target, "attempts": d.attempts,
                                       "error": d.last_error}))
            log.error("alert %s: %s delivery to %s is dead after %d attempt(s): %s", alert.id, d.channel,
                      d.target, d.attempts, exc)
        else:
            d.state, d.next_try_at = "failed", now + backoff(d.attempts)
            log.warning("alert %s: %s delivery to %s failed (attempt %d), retry at %s: %s", alert.id,
                        d.channel, d.target, d.attempts, d.next_try_at.isoformat(), exc)
        s.commit()
        return d.state
    d.state, d.delivered_at, d.next_try_at, d.last_error = "sent", _now(), None, note[:2000]
    s.commit()
    return "sent"


def deliver_due(ctx: AppContext, now: datetime | None = None, alert_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Attempt every due delivery (of the given alerts, or all); returns counts by outcome."""
    now = now or _now()
    with ctx.session() as s:
        # a sender that died mid-attempt leaves `sending` behind: make it due again
        s.execute(update(Delivery).where(Delivery.state == "sending", Delivery.created_at < now - STALE_SENDING,
                                         (Delivery.next_try_at.is_(None)) | (Delivery.next_try_at < now - STALE_SENDING))
                  .values(state="failed", next_try_at=now))
        s.commit()
        q = s.query(Delivery.id).filter(Delivery.state.in_(("pending", "failed")),
                                        (Delivery.next_try_at.is_(None)) | (Delivery.next_try_at <= now))
        if alert_ids is not None:
            ids = list(alert_ids)
            if not ids:
                return {}
            q = q.filter(Delivery.alert_id.in_(ids))
        due = [r[0] for r in q.order_by(Delivery.id).all()]
    counts: dict[str, int] = {}
    for did in due:
        state = attempt(ctx, did, now)
        counts[state] = counts.get(state, 0) + 1
    return counts


class Dispatcher:
    """Sends new alerts' deliveries from background threads, one task per delivery (the e-mail
    does not wait for a slow webhook), so the pipeline never waits on a mail server or a
    webhook; `wait()` lets tests, benchmarks and the CLI finish them."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alert-delivery")
        self._pending: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, ctx: AppContext, alert_ids: list[str]) -> None:
        if not alert_ids:
            return
        with ctx.session() as s:
            due = [r[0] for r in s.query(Delivery.id).filter(
                Delivery.alert_id.in_(list(alert_ids)), Delivery.state.in_(("pending", "failed"))).all()]
        futs = [self._pool.submit(self._run, ctx, did) for did in due]
        with self._lock:
            self._pending = [f for f in self._pending if not f.done()] + futs

    @staticmethod
    def _run(ctx: AppContext, delivery_id: int) -> None:
        try:
            attempt(ctx, delivery_id)
        except Exception:  # noqa: BLE001 - the retry job picks it up again
            log.exception("background delivery %s failed", delivery_id)

    def wait(self, timeout: float | None = 30.0) -> None:
        with self._lock:
            pending = list(self._pending)
        for f in pending:
            f.result(timeout=timeout)


DISPATCHER = Dispatcher()
