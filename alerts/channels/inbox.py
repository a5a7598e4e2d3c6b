"""The in-app inbox: the alert record itself is the inbox entry, so delivery always succeeds
and an alert is never lost even when every other channel fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alerts.render import AlertMessage
    from duluan.context import AppContext
    from duluan.db import AlertRecord


class InboxChannel:
    name = "inbox"

    def targets(self, ctx: AppContext, alert: AlertRecord) -> list[str]:
        return ["inbox"]

    def max_attempts(self, ctx: AppContext, target: str) -> int:
        return 1

    def send(self, ctx: AppContext, message: AlertMessage, target: str) -> str:
        return "stored in the inbox"
