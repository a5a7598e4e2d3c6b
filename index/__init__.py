"""The article index: the `ArticleIndex` contract and its backends (sqlite, elastic)."""

from __future__ import annotations

from index.base import DIMENSIONS, ArticleIndex, Bucket, Page, Query

__all__ = ["DIMENSIONS", "ArticleIndex", "Bucket", "Page", "Query", "open_index"]


def open_index(url: str, tz: str = "Asia/Ho_Chi_Minh") -> ArticleIndex:
    """Open the backend a store URL names: `sqlite:///path` or `elasticsearch://host:9200`."""
    from duluan.errors import ConfigError

    if url.startswith("sqlite:"):
        from index.sqlite import SqliteIndex

        return SqliteIndex.from_url(url)
    if url.startswith(("elasticsearch:", "elasticsearchs:", "es:", "http://", "https://")):
        from index.elastic import ElasticIndex

        return ElasticIndex.from_url(url)
    raise ConfigError(f"store: unsupported index URL {url!r} (expected sqlite:///… or elasticsearch://…)")
