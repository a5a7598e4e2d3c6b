"""Foreign-press discovery connectors: search services queried with the city's aliases, yielding
candidate articles from outlets that are not in the catalogue (GDELT DOC 2.0, Google News RSS)."""

from __future__ import annotations

from crawlers.discovery.base import Discovered, discover_all, query_terms

__all__ = ["Discovered", "discover_all", "query_terms"]
