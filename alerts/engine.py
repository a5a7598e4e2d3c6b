"""Alert engine (placeholder until the alerts issue lands): evaluated on every indexed batch."""

from __future__ import annotations

from typing import Any

from duluan.models import Article


def evaluate_batch(ctx: Any, articles: list[Article]) -> list[Any]:
    return []
