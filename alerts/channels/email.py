"""E-mail over SMTP (plain, STARTTLS or SSL; login from settings + DULUAN_SMTP_PASSWORD): one
multipart message per alert with a Vietnamese plain-text and HTML body. Recipients are
`alerts.email_to` plus the routed agency's address."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from alerts.channels.base import DeliveryError
from duluan.mail import smtp_send

if TYPE_CHECKING:
    from alerts.render import AlertMessage
    from duluan.context import AppContext
    from duluan.db import AlertRecord

MAX_ATTEMPTS = 5


def build_message(sender: str, recipients: list[str], message: AlertMessage) -> EmailMessage:
    """The MIME message: the subject is RFC 2047-encoded by the SMTP policy (UTF-8)."""
    msg = EmailMessage()
    msg["Subject"] = message.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "localhost")
    alert = message.payload.get("alert", {})
    msg["X-DuLuan-Alert"] = str(alert.get("id", ""))
    msg["X-DuLuan-Severity"] = str(alert.get("severity", ""))
    msg["X-DuLuan-Event"] = message.event
    msg.set_content(message.text, charset="utf-8")
    msg.add_alternative(message.html, subtype="html", charset="utf-8")
    return msg


class EmailChannel:
    name = "email"

    def targets(self, ctx: AppContext, alert: AlertRecord) -> list[str]:
        if not ctx.settings.smtp.host:
            return []
        rcpts = list(ctx.settings.alerts.email_to)
        if alert.agency:
            agency = ctx.city.agency(alert.agency)
            if agency is not None and agency.email and agency.email not in rcpts:
                rcpts.append(agency.email)
        return [",".join(rcpts)] if rcpts else []

    def max_attempts(self, ctx: AppContext, target: str) -> int:
        return MAX_ATTEMPTS

    def send(self, ctx: AppContext, message: AlertMessage, target: str) -> str:
        cfg = ctx.settings.smtp
        recipients = [r.strip() for r in target.split(",") if r.strip()]
        if not cfg.host or not recipients:
            raise DeliveryError("e-mail not configured (smtp.host / alerts.email_to)")
        msg = build_message(cfg.sender, recipients, message)
        password = ctx.settings.secret("smtp_password")
        try:
            refused = smtp_send(cfg, password, msg, recipients)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {cfg.host}:{cfg.port}: {type(exc).__name__}: {exc}") from None
        if refused:
            raise DeliveryError(f"SMTP {cfg.host}:{cfg.port} refused: {', '.join(sorted(refused))}")
        return f"sent to {len(recipients)} recipient(s) via {cfg.host}:{cfg.port}"
