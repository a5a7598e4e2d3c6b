"""Sending one message through the configured SMTP server (none / STARTTLS / SSL, optional login);
used by the alert e-mail channel and by report delivery."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from duluan.settings import SmtpSettings


def smtp_send(cfg: SmtpSettings, password: str, msg: EmailMessage, recipients: list[str] | None = None) -> dict:
    """Send `msg`; returns the refused recipients (smtplib's dict). Raises OSError/SMTPException."""
    if cfg.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
    with client:
        client.ehlo()
        if cfg.security == "starttls":
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if cfg.username:
            client.login(cfg.username, password)
        if recipients is None:
            return dict(client.send_message(msg))
        return dict(client.send_message(msg, from_addr=cfg.sender, to_addrs=recipients))
