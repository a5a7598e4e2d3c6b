"""Alert channels, one module each behind the `Channel` protocol: inbox, email, webhook."""

from __future__ import annotations

from alerts.channels.base import Channel, DeliveryError, channel_for

__all__ = ["Channel", "DeliveryError", "channel_for"]
