"""What an alert says, in Vietnamese: subject, plain text, HTML and the JSON payload that every
channel sends. Built only from the stored alert record, so a retry days later says the same."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from duluan.db import AlertRecord

SEVERITY_VI: dict[str, str] = {"low": "THẤP", "medium": "TRUNG BÌNH", "high": "CAO", "critical": "KHẨN"}
KIND_VI: dict[str, str] = {"domestic": "trong nước", "foreign": "nước ngoài"}
SENTIMENT_VI: dict[int, str] = {-1: "tiêu cực", 0: "trung tính", 1: "tích cực"}
LANGUAGE_VI: dict[str, str] = {
    "vi": "tiếng Việt", "en": "tiếng Anh", "fr": "tiếng Pháp", "zh": "tiếng Trung", "ja": "tiếng Nhật",
    "ko": "tiếng Hàn", "ru": "tiếng Nga", "de": "tiếng Đức", "es": "tiếng Tây Ban Nha", "th": "tiếng Thái",
    "km": "tiếng Khmer", "lo": "tiếng Lào",
}
EVENT_VI: dict[str, str] = {"created": "Cảnh báo", "escalated": "Nâng mức cảnh báo"}


@dataclass
class AlertMessage:
    event: str
    subject: str
    text: str
    html: str
    payload: dict[str, Any]


def alert_link(base_url: str, alert_id: str) -> str:
    return f"{base_url.rstrip('/')}/alerts/{alert_id}"


def _local(iso: str | None, tz: str) -> str:
    if not iso:
        return ""
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return dt.astimezone(ZoneInfo(tz)).strftime("%H:%M %d/%m/%Y")


def alert_payload(alert: AlertRecord, base_url: str, event: str = "created") -> dict[str, Any]:
    """The JSON document webhooks receive (and `alerts show --json` prints)."""
    d = alert.data or {}
    return {
        "event": f"alert.{event}",
        "alert": {
            "id": alert.id, "rule_id": alert.rule_id, "kind": d.get("kind", "article"),
            "severity": alert.severity, "state": alert.state, "title": alert.title,
            "created_at": alert.created_at.isoformat() if alert.created_at else None,
            "updated_at": alert.updated_at.isoformat() if alert.updated_at else None,
            "agency": alert.agency, "agency_name": d.get("agency_name"), "assignee": alert.assignee,
            "deadline": alert.deadline.isoformat() if alert.deadline else None,
            "story_id": alert.story_id, "article_id": alert.article_id,
            "url": alert_link(base_url, alert.id),
            "reasons": d.get("reasons", []), "article": d.get("article"),
            "article_ids": d.get("article_ids", []), "outlets": d.get("outlets", []),
            "countries": d.get("countries", []), "languages": d.get("languages", []),
            "metrics": d.get("metrics", {}), "escalations": d.get("escalations", []),
            "talking_points": d.get("talking_points", []),
        },
    }


def render(alert: AlertRecord, base_url: str, tz: str = "Asia/Ho_Chi_Minh", event: str = "created") -> AlertMessage:
    d = alert.data or {}
    art = d.get("article") or {}
    sev = SEVERITY_VI.get(alert.severity, alert.severity.upper())
    head = EVENT_VI.get(event, "Cảnh báo")
    subject = f"[Dư Luận][{sev}] {head}: {alert.title}"[:240]
    link = alert_link(base_url, alert.id)
    reasons = d.get("reasons", [])
    points = d.get("talking_points", [])
    lang = art.get("language", "")
    kind = KIND_VI.get(art.get("kind", ""), art.get("kind", ""))
    sentiment = art.get("sentiment")
    rows: list[tuple[str, str]] = []
    if art:
        rows += [
            ("Tiêu đề", art.get("title", "")),
            ("Cơ quan báo chí", f"{art.get('source_name') or art.get('source_id', '')} (báo {kind})"),
            ("Quốc gia", art.get("country", "")),
            ("Ngôn ngữ", LANGUAGE_VI.get(lang, lang)),
            ("Thời gian đăng", _local(art.get("published_at"), tz)),
        ]
        if art.get("title_vi"):
            rows.insert(1, ("Tiêu đề (dịch)", art["title_vi"]))
        if sentiment is not None:
            rows.append(("Sắc thái", SENTIMENT_VI.get(int(sentiment), str(sentiment))))
        if art.get("topics"):
            rows.append(("Chủ đề", ", ".join(art["topics"])))
        rows.append(("Liên kết bài báo", art.get("url", "")))
    rows.append(("Mức độ", sev))
    if d.get("agency_name") or alert.agency:
        rows.append(("Đơn vị xử lý", d.get("agency_name") or alert.agency or ""))
    if len(d.get("article_ids", [])) > 1:
        rows.append(("Số bài cùng câu chuyện", f"{len(d['article_ids'])} bài, {len(d.get('outlets', []))} cơ quan báo chí, "
                     f"{len(d.get('countries', []))} quốc gia"))
    for k, v in (d.get("metrics") or {}).items():
        rows.append((str(k), str(v)))
    if event == "escalated" and d.get("escalations"):
        last = d["escalations"][-1]
        rows.append(("Lý do nâng mức", last.get("reason", "")))

    text_lines = [f"{head} ({sev}): {alert.title}", ""]
    text_lines += [f"{k}: {v}" for k, v in rows]
    text_lines += ["", "Vì sao có cảnh báo:"] + [f"  - {r}" for r in reasons]
    if art.get("excerpt"):
        text_lines += ["", "Trích đoạn:", art["excerpt"]]
    if points:
        text_lines += ["", "Tài liệu lập luận gợi ý:"]
        for p in points:
            text_lines.append(f"  - {p.get('title')}: {p.get('summary', '')}")
    text_lines += ["", f"Xử lý cảnh báo: {link}", "", "— Dư Luận, hệ thống theo dõi dư luận báo chí"]
    text = "\n".join(text_lines) + "\n"

    e = html.escape
    table = "".join(f"<tr><th align='left' style='padding:2px 12px 2px 0'>{e(k)}</th><td>{e(str(v))}</td></tr>"
                    for k, v in rows)
    reasons_html = "".join(f"<li>{e(r)}</li>" for r in reasons)
    points_html = "".join(
        f"<li><b>{e(p.get('title', ''))}</b>: {e(p.get('summary', ''))}</li>" for p in points
    )
    excerpt_html = f"<h3>Trích đoạn</h3><blockquote>{e(art['excerpt'])}</blockquote>" if art.get("excerpt") else ""
    body_html = (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        f"<title>{e(subject)}</title></head><body style='font-family:Arial,sans-serif'>"
        f"<h2>{e(head)} ({e(sev)}): {e(alert.title)}</h2>"
        f"<table>{table}</table>"
        f"<h3>Vì sao có cảnh báo</h3><ul>{reasons_html}</ul>"
        f"{excerpt_html}"
        + (f"<h3>Tài liệu lập luận gợi ý</h3><ul>{points_html}</ul>" if points else "")
        + f"<p><a href='{e(link)}'>Mở cảnh báo để xử lý</a></p>"
        "<p style='color:#666'>— Dư Luận, hệ thống theo dõi dư luận báo chí</p></body></html>"
    )
    payload = alert_payload(alert, base_url, event)
    # one line for chat bots behind a webhook (Slack/Mattermost-style `text` field)
    payload["text"] = f"{subject}\n{art.get('url', '')}\n{link}".replace("\n\n", "\n")
    return AlertMessage(event=event, subject=subject, text=text, html=body_html, payload=payload)
