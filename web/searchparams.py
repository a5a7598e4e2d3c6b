"""The search form <-> `index.base.Query`: one parser for the search page, its exports, saved
searches, the JSON API and the alert rules made from a saved search."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from duluan.errors import DuluanError
from duluan.timeutil import parse_user_datetime
from index.base import Query

PAGE_SIZE = 20
MAX_PAGE = 500
SORTS = ("newest", "relevance", "risk", "oldest")
FACET_DIMS = ("language", "country", "kind", "source", "topic", "sentiment")
# form field -> Query attribute for the multi-valued filters
MULTI = {"language": "languages", "country": "countries", "kind": "kinds", "source": "sources",
         "topic": "topics", "sentiment": "sentiments"}
PARAM_KEYS = ("q", "since", "until", "min_risk", "reviewed", "sort", "exact", "story", "all", *MULTI)
# the search page looks at the last N days of data unless dates (or "all time") are given: facets
# over the whole archive cost a scan of every article (see shared PERFORMANCE.md)
DEFAULT_WINDOW_DAYS = 30


@dataclass
class SearchForm:
    """What the user asked for, kept as strings for redisplay, and the Query built from it."""

    params: dict[str, Any]
    query: Query
    page: int
    errors: list[str]

    def without(self, dim: str) -> Query:
        """The query without one facet's own filter (so a facet still offers its other values)."""
        return replace(self.query, **{MULTI[dim]: ()}, limit=0, offset=0)


def params_dict(qp: QueryParams | dict[str, Any]) -> dict[str, Any]:
    """The known search parameters of a request (multi-valued ones as lists), nothing else."""
    out: dict[str, Any] = {}
    for key in PARAM_KEYS:
        if isinstance(qp, QueryParams):
            values = [v for v in qp.getlist(key) if v != ""]
        else:
            raw = qp.get(key)
            values = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if raw not in (None, "")]
        if not values:
            continue
        out[key] = values if key in MULTI else values[-1]
    return out


def parse(params: dict[str, Any], tz: str, page: int = 1, page_size: int = PAGE_SIZE) -> SearchForm:
    """Build the Query; a bad value becomes an error message and is ignored, never a crash."""
    errors: list[str] = []
    kw: dict[str, Any] = {}
    text = str(params.get("q") or "").strip()
    kw["text"] = text[:500] or None
    kw["exact"] = params.get("exact") in ("1", "on", "true")
    for key, end in (("since", False), ("until", True)):
        if params.get(key):
            try:
                kw[key] = parse_user_datetime(str(params[key]), tz, end=end)
            except DuluanError as exc:
                errors.append(str(exc))
    for field, attr in MULTI.items():
        values = params.get(field) or []
        if field == "sentiment":
            ints = []
            for v in values:
                try:
                    iv = int(v)
                except ValueError:
                    errors.append(f"sentiment: {v!r}")
                    continue
                if iv in (-1, 0, 1):
                    ints.append(iv)
            kw[attr] = tuple(ints)
        elif field == "country":
            kw[attr] = tuple(str(v).upper()[:2] for v in values)
        else:
            kw[attr] = tuple(str(v)[:64] for v in values)
    if params.get("min_risk"):
        try:
            kw["min_risk"] = max(0.0, min(100.0, float(params["min_risk"])))
        except ValueError:
            errors.append(f"min_risk: {params['min_risk']!r}")
    if params.get("story"):
        kw["story_id"] = str(params["story"])[:64]
    reviewed = params.get("reviewed")
    if reviewed in ("1", "0"):
        kw["reviewed"] = reviewed == "1"
    sort = params.get("sort") or ("relevance" if text else "newest")
    kw["sort"] = sort if sort in SORTS else "newest"
    page = max(1, min(page, MAX_PAGE))
    kw["limit"] = page_size
    kw["offset"] = (page - 1) * page_size
    return SearchForm(params=params, query=Query(**kw), page=page, errors=errors)


def with_default_window(params: dict[str, Any], index: Any, tz: str) -> dict[str, Any]:
    """`params` with `since` set to the start of the last DEFAULT_WINDOW_DAYS days of data (counted
    back from the newest article, so an archive that stopped growing still shows its last month),
    unless the user gave a date, a story or asked for all time."""
    if params.get("all") == "1":
        return {k: v for k, v in params.items() if k != "since"}
    if params.get("since") or params.get("until") or params.get("story"):
        return params
    newest = index.search(Query(limit=1, sort="newest")).items
    if not newest:
        return params
    local = newest[0].published_at.astimezone(ZoneInfo(tz)).date()
    start = local - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    return dict(params, since=start.strftime("%d/%m/%Y"))


def rule_definition(rule_id: str, name: str, params: dict[str, Any], severity: str = "medium") -> dict[str, Any]:
    """An alert-rule definition from saved-search parameters (keys of `alerts.rules.Rule`)."""
    d: dict[str, Any] = {"id": rule_id, "name": name, "severity": severity}
    if params.get("q"):
        d["query"] = params["q"]
    for field, attr in MULTI.items():
        if params.get(field) and field != "sentiment":
            d[attr] = list(params[field])
    if params.get("sentiment"):
        # rules filter "at most this sentiment": the most positive value the search allowed
        d["max_sentiment"] = max(int(v) for v in params["sentiment"])
    if params.get("min_risk"):
        d["min_risk"] = float(params["min_risk"])
    return d
