"""The loop the issue is done by: a foreign negative article on a sensitive topic about the city,
published on the local press server, is crawled (Scrapy child process), extracted, enriched by
the real chain, indexed, and produces an inbox alert, an e-mail at aiosmtpd and a signed webhook
call, with talking points, routed to an agency; the office then takes it to closed."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from alerts.channels.webhook import SIGNATURE_HEADER, verify
from alerts.engine import wait_for_deliveries
from duluan.cli import main
from duluan.db import AlertRecord
from tests.alerts.conftest import WEBHOOK_SECRET
from tests.press_server import PressServer, article_html

TITLE = "Ho Chi Minh City accused of distorting facts over Spratly islands dispute"
PARAGRAPHS = [
    "HO CHI MINH CITY - A report published on Friday accused officials in Ho Chi Minh City of distorting "
    "the history of the Spratly islands and of silencing critics of Vietnam's sovereignty claims in the East Sea.",
    "The report said the city's propaganda about the islands was misleading and that the dispute with "
    "China over the Spratly and Paracel islands was being used to suppress dissent in Saigon.",
    "City officials did not respond to requests for comment. Analysts said the accusations were likely "
    "to damage the image of Vietnam's largest city among foreign investors and tourists.",
    "Fishermen from Saigon who work near the islands said tensions at sea had grown this year, with "
    "several boats harassed by foreign vessels near the disputed reefs.",
]

RULE_AGENCY = {"foreign-sea-islands-border": "bchqs", "hostile-distortion": "congan",
               "foreign-high-risk": None}


def _wait(pred, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


@pytest.mark.slow
def test_press_to_inbox_email_webhook_and_closed(make_ctx, smtp_server, hook, capsys):
    from crawlers.runner import crawl

    ctx = make_ctx(smtp_port=smtp_server.port, hooks=[{"id": "office-bot", "url": hook.url, "retries": 3}])
    with PressServer() as press:
        press.add_article("/world/hcmc-islands.html", article_html(TITLE, PARAGRAPHS, datetime.now(UTC), lang="en",
                                                                   author="Foreign Desk"))
        press.add_feed_item("extra", "/world/hcmc-islands.html", TITLE)
        report = crawl(ctx, feed=press.base_url + "/feeds/extra.xml", allow_private=True)
        assert report.indexed == 1, report.summary()
    art = ctx.index.get(report.indexed_ids[0])
    if not art.effective_topics():
        pytest.skip("the enrichment chain gives no topics in this build")
    wait_for_deliveries()
    assert _wait(lambda: smtp_server.raw and hook.behaviour.calls)

    with ctx.session() as s:
        [alert] = s.query(AlertRecord).all()
    assert alert.article_id == art.id and alert.state == "new"
    assert alert.rule_id in RULE_AGENCY and alert.severity in ("high", "critical")
    assert alert.agency == (RULE_AGENCY[alert.rule_id] or alert.agency)
    assert alert.data["article"]["kind"] == "foreign"
    points = [p["id"] for p in alert.data["talking_points"]]
    assert "sea-islands" in points

    msg = smtp_server.parsed()[0]
    assert msg["X-DuLuan-Alert"] == alert.id and "Cảnh báo" in str(msg["Subject"])
    assert TITLE[:40] in msg.get_body(("plain",)).get_content()
    got = hook.behaviour.received[0]
    assert verify(WEBHOOK_SECRET, got.body, got.headers[SIGNATURE_HEADER])
    assert json.loads(got.body)["alert"]["talking_points"][0]["id"] in points

    for argv in (["alerts", "ack", alert.id], ["alerts", "assign", alert.id, "--agency", alert.agency or "stttt"],
                 ["alerts", "respond", alert.id, "--action", "statement", "-m", "Đã cung cấp thông tin"],
                 ["alerts", "close", alert.id]):
        assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["alerts", "show", alert.id, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["state"] == "closed"
    assert [h["action"] for h in doc["history"]] == ["create", "acknowledge", "assign", "respond", "close"]
    assert {d["channel"]: d["state"] for d in doc["deliveries"]} == {"inbox": "sent", "email": "sent", "webhook": "sent"}
