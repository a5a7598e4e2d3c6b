"""The protocol every alert channel implements, and the registry of channels by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from duluan.errors import DuluanError

if TYPE_CHECKING:
    from alerts.render import AlertMessage
    from duluan.context import AppContext
    from duluan.db import AlertRecord


class DeliveryError(DuluanError):
    """One attempt to deliver an alert on a channel failed (it will be retried)."""


class Channel(Protocol):
    """A way to tell the office about an alert. `targets` says where this alert goes on this
    channel (empty = channel not configured); `send` makes one attempt or raises DeliveryError."""

    name: str

    def targets(self, ctx: AppContext, alert: AlertRecord) -> list[str]: ...

    def max_attempts(self, ctx: AppContext, target: str) -> int: ...

    def send(self, ctx: AppContext, message: AlertMessage, target: str) -> str:
        """Deliver; returns a short note for the delivery record (e.g. the HTTP status)."""
        ...


def channel_for(name: str) -> Channel:
    """The channel implementation for a name used in rules (`inbox`, `email`, `webhook`)."""
    from alerts.channels.email import EmailChannel
    from alerts.channels.inbox import InboxChannel
    from alerts.channels.webhook import WebhookChannel

    table: dict[str, Channel] = {"inbox": InboxChannel(), "email": EmailChannel(), "webhook": WebhookChannel()}
    try:
        return table[name]
    except KeyError:
        raise DeliveryError(f"unknown alert channel {name!r} (expected inbox, email or webhook)") from None
