"""E-mail delivery of reports over SMTP (`settings.smtp.*`; password from `DULUAN_SMTP_PASSWORD`).

Subjects and names are Vietnamese, so the message is built with `email.message.EmailMessage`
(policy SMTP): non-ASCII headers are RFC 2047 encoded, bodies UTF-8, attachments base64."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from duluan.errors import DuluanError
from duluan.mail import smtp_send
from duluan.settings import Settings

log = logging.getLogger("reports.delivery")


class DeliveryError(DuluanError):
    """A report could not be e-mailed (SMTP unreachable, refused, misconfigured)."""


@dataclass
class Attachment:
    filename: str
    data: bytes
    maintype: str
    subtype: str


@dataclass
class Mail:
    subject: str
    to: list[str]
    html: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: text + HTML alternatives, then the attachments."""
    msg = EmailMessage()
    msg["Subject"] = mail.subject
    msg["From"] = sender
    msg["To"] = ", ".join(mail.to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else None)
    msg.set_content(mail.text, charset="utf-8")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    for a in mail.attachments:
        msg.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    return msg


def send_mail(settings: Settings, mail: Mail) -> list[str]:
    """Send `mail` through the configured SMTP server; returns the accepted recipients."""
    smtp = settings.smtp
    if not smtp.host:
        raise DeliveryError("smtp.host is not set: cannot e-mail the report (see config/settings.example.yaml)")
    if not mail.to:
        return []
    msg = build_message(mail, smtp.sender)
    password = settings.secret("smtp_password")
    try:
        refused = smtp_send(smtp, password, msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"e-mail to {', '.join(mail.to)} via {smtp.host}:{smtp.port} failed: {exc}") from None
    accepted = [r for r in mail.to if r not in refused]
    log.info("report e-mail %r sent to %s", mail.subject, ", ".join(accepted))
    return accepted
