"""Fixtures for the alert tests: real SMTP and webhook servers on loopback, an AppContext wired
to them, and enriched articles built directly (enrichment is tested in its own area)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from duluan.models import Article, Kind, Sentiment, TopicScore, article_id
from tests.alerts.servers import SmtpServer, WebhookReceiver

WEBHOOK_SECRET = "test-webhook-secret-0123456789"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    srv = SmtpServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    srv = WebhookReceiver().start()
    yield srv
    srv.stop()


def write_settings(config_dir: Path, smtp_port: int | None = None, hooks: list[dict[str, Any]] | None = None,
                   **alerts: Any) -> None:
    data: dict[str, Any] = {"alerts": {"email_to": ["office@stttt.example.gov.vn"], **alerts}}
    if smtp_port:
        data["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "sender": "du-luan@stttt.example.gov.vn"}
    if hooks:
        data["alerts"]["webhooks"] = hooks
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def make_ctx(app_env: dict[str, str], config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Build an AppContext after writing settings.yaml (SMTP / webhooks pointing at loopback)."""
    from alerts.engine import wait_for_deliveries
    from duluan.context import AppContext

    monkeypatch.setenv("DULUAN_WEBHOOK_SECRET", WEBHOOK_SECRET)
    made: list[Any] = []

    def make(smtp_port: int | None = None, hooks: list[dict[str, Any]] | None = None, **alerts: Any) -> Any:
        write_settings(config_dir, smtp_port, hooks, **alerts)
        c = AppContext.load()
        made.append(c)
        return c

    yield make
    wait_for_deliveries(timeout=30)
    for c in made:
        c.close()
        c.engine.dispose()


_N = [0]


def article(title: str = "Ho Chi Minh City faces criticism over island claims", *, text: str = "",
            source: str = "foreign-daily", country: str = "US", kind: str = "foreign", language: str = "en",
            topics: tuple[str, ...] = ("sea_islands",), sentiment: int = -1, relevance: float = 0.9,
            risk: float = 60.0, story: str | None = None, published: datetime | None = None,
            url: str | None = None) -> Article:
    """An enriched article as the pipeline would index it."""
    _N[0] += 1
    url = url or f"https://{source}.example.com/news/{_N[0]}"
    return Article(
        id=article_id(url), url=url, canonical_url=url, source_id=source, source_name=source.replace("-", " ").title(),
        source_country=country, source_kind=Kind(kind), title=title,
        text=text or (f"{title}. Ho Chi Minh City officials were criticised in a report published today about "
                      "the East Sea and the Spratly islands. Fishermen from Saigon said the situation is tense."),
        published_at=published or datetime.now(UTC) - timedelta(minutes=5), language=language,
        relevance=relevance, topics=[TopicScore(code=t, score=0.8) for t in topics],
        sentiment=Sentiment(label=sentiment, score=-0.7 if sentiment < 0 else 0.5, method="test"),
        story_id=story, risk=risk,
    )
