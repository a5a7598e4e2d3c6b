"""Webhooks: a JSON POST per alert signed with HMAC-SHA256 over the raw body
(`X-DuLuan-Signature: sha256=<hex>`, key from DULUAN_WEBHOOK_SECRET). Chat bots of the office's
choice sit behind such a URL. Retries with backoff come from the delivery queue; after the last
try the delivery is kept as a dead letter."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import TYPE_CHECKING

import httpx

from alerts.channels.base import DeliveryError

if TYPE_CHECKING:
    from alerts.render import AlertMessage
    from duluan.context import AppContext
    from duluan.db import AlertRecord
    from duluan.settings import WebhookSettings

log = logging.getLogger("duluan.alerts.webhook")
SIGNATURE_HEADER = "X-DuLuan-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: constant-time comparison of the header with our signature."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header or "")


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


class WebhookChannel:
    name = "webhook"

    def _hook(self, ctx: AppContext, target: str) -> WebhookSettings:
        for h in ctx.settings.alerts.webhooks:
            if h.id == target:
                return h
        raise DeliveryError(f"webhook {target!r} is no longer configured (alerts.webhooks)")

    def targets(self, ctx: AppContext, alert: AlertRecord) -> list[str]:
        return [h.id for h in ctx.settings.alerts.webhooks]

    def max_attempts(self, ctx: AppContext, target: str) -> int:
        try:
            return 1 + self._hook(ctx, target).retries
        except DeliveryError:
            return 1

    def send(self, ctx: AppContext, message: AlertMessage, target: str) -> str:
        hook = self._hook(ctx, target)
        body = encode(message.payload)
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "DuLuan-Webhook/1",
                   "X-DuLuan-Event": message.payload.get("event", ""),
                   "X-DuLuan-Alert": str(message.payload.get("alert", {}).get("id", ""))}
        secret = ctx.settings.secret("webhook_secret")
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, body)
        else:
            log.warning("DULUAN_WEBHOOK_SECRET is not set: webhook %s is sent unsigned", hook.id)
        try:
            resp = httpx.post(hook.url, content=body, headers=headers, timeout=hook.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {hook.id} ({hook.url}): {type(exc).__name__}: {exc}") from None
        if resp.status_code >= 300:
            raise DeliveryError(f"webhook {hook.id} ({hook.url}): HTTP {resp.status_code}")
        return f"HTTP {resp.status_code}"
