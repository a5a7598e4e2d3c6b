"""Report test fixtures: a context whose index holds the enriched demo articles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from duluan.models import Article
from tests.reports.enriched import enriched_articles


@pytest.fixture(scope="session")
def articles() -> list[Article]:
    return enriched_articles()


@pytest.fixture
def rctx(ctx: Any, articles: list[Article]) -> Iterator[Any]:
    """`ctx` with the enriched demo articles in its index."""
    ctx.index.upsert(articles)
    yield ctx
