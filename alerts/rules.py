"""Alert rules: filters over enriched articles plus severity, routing and channels.

Rules come from `config/alerts.yaml` (shipped defaults) and from the UI (`alert_rules` table,
which wins by id). A rule is compiled once into a matcher that works on the article in memory,
so evaluating 50 rules over a batch costs one tokenisation per article, not 50 index queries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alerts.matching import ArticleFeatures, node_matches
from duluan.errors import ConfigError, QuerySyntaxError
from duluan.settings import CityConfig, format_validation_error, load_model, read_yaml
from duluan.text import fold, normalize_text
from index.query_parser import Node, parse_query

if TYPE_CHECKING:
    from duluan.context import AppContext

log = logging.getLogger("duluan.alerts.rules")

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
CHANNELS: tuple[str, ...] = ("inbox", "email", "webhook")
ChannelName = Literal["inbox", "email", "webhook"]


def _all_channels() -> list[ChannelName]:
    return ["inbox", "email", "webhook"]
SENSITIVE_TOPICS: tuple[str, ...] = (
    "sea_islands", "border_territory", "human_rights", "religion", "democracy", "ethnic_groups",
    "security_defence", "hostile_distortion",
)
IMAGE_TOPICS: tuple[str, ...] = (
    "investment", "trade", "tourism", "culture", "asean_integration", "fta", "digital_transformation",
    "smart_city", "science_technology", "economy", "society", "environment", "flooding", "traffic", "land",
    "public_health", "education", "overseas_vietnamese", "laos_cambodia",
)
ALL_TOPICS: tuple[str, ...] = SENSITIVE_TOPICS + IMAGE_TOPICS


def raise_severity(severity: str, steps: int = 1) -> str:
    """The severity `steps` levels higher (capped at critical)."""
    i = SEVERITIES.index(severity) if severity in SEVERITIES else 1
    return SEVERITIES[min(len(SEVERITIES) - 1, max(0, i + steps))]


def max_severity(*levels: str) -> str:
    return max(levels, key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 1)


class Rule(BaseModel):
    """One alert rule. Every filter that is set must hold (lists are OR within themselves)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)
    name: str
    description: str = ""
    enabled: bool = True
    query: str | None = Field(default=None, description="text query in the search syntax")
    topics: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    kinds: list[Literal["domestic", "foreign"]] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    max_sentiment: Literal[-1, 0, 1] | None = None
    min_relevance: float | None = Field(default=None, ge=0, le=1)
    about_city: bool = Field(default=True, description="require the article to be about the city")
    min_risk: float | None = Field(default=None, ge=0, le=100)
    severity: Severity = "medium"
    agency: str | None = Field(default=None, description="agency id; empty = route by topic")
    channels: list[ChannelName] = Field(default_factory=_all_channels)
    escalate_outlets: int = Field(default=3, ge=2, description="raise severity once the story has this many outlets")
    escalate_countries: int = Field(default=3, ge=2, description="raise severity once the story spans this many countries")

    @field_validator("countries")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [c.upper() for c in v]

    @field_validator("query")
    @classmethod
    def _query_parses(cls, v: str | None) -> str | None:
        if v is not None and v.strip():
            try:
                parse_query(v)
            except QuerySyntaxError as exc:
                raise ValueError(str(exc)) from None
        return v or None


class SpikeTrigger(BaseModel):
    """Volume spike per topic: the last `window_hours` against the topic's hourly baseline."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    topics: list[str] = Field(default_factory=list, description="empty = every topic")
    window_hours: int = Field(default=1, ge=1, le=24)
    baseline_days: int = Field(default=7, ge=1, le=90)
    min_count: int = Field(default=5, ge=1, description="never fire below this many articles in the window")
    p_value: float = Field(default=0.001, gt=0, lt=1, description="Poisson upper-tail probability to fire")
    severity: Severity = "medium"
    channels: list[ChannelName] = Field(default_factory=_all_channels)


class SpreadTrigger(BaseModel):
    """A story reaching `min_outlets` outlets or `min_countries` countries within `hours`."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    hours: int = Field(default=24, ge=1, le=24 * 14)
    min_outlets: int = Field(default=5, ge=2)
    min_countries: int = Field(default=3, ge=2)
    severity: Severity = "high"
    channels: list[ChannelName] = Field(default_factory=_all_channels)


class PickupTrigger(BaseModel):
    """The first foreign article in a story that started in the domestic press."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    hours: int = Field(default=72, ge=1, le=24 * 30)
    severity: Severity = "medium"
    channels: list[ChannelName] = Field(default_factory=_all_channels)


class Triggers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spike: SpikeTrigger = Field(default_factory=SpikeTrigger)
    spread: SpreadTrigger = Field(default_factory=SpreadTrigger)
    foreign_pickup: PickupTrigger = Field(default_factory=PickupTrigger)


class AlertsFile(BaseModel):
    """`config/alerts.yaml`."""

    model_config = ConfigDict(extra="forbid")
    rules: list[Rule] = Field(default_factory=list)
    triggers: Triggers = Field(default_factory=Triggers)


# ------------------------------------------------------------------ loading and checking


def _alerts_path(config_dir: Path) -> Path:
    return Path(config_dir) / "alerts.yaml"


def load_alerts_file(config_dir: Path) -> AlertsFile:
    """The validated alerts file (an absent file means no configured rules, default triggers)."""
    path = _alerts_path(config_dir)
    if not path.exists():
        return AlertsFile()
    af = load_model(path, AlertsFile)
    seen: set[str] = set()
    for i, r in enumerate(af.rules):
        if r.id in seen:
            raise ConfigError(f"{path}: rules.{i}.id: duplicate rule id {r.id!r}")
        seen.add(r.id)
    return af


def _known_topics(config_dir: Path) -> set[str]:
    """Topic codes of `config/topics.yaml` when present, else the agreed code list."""
    path = Path(config_dir) / "topics.yaml"
    codes = set(ALL_TOPICS)
    if path.exists():
        try:
            data = read_yaml(path)
        except ConfigError:
            return codes
        items = data.get("topics", data) if isinstance(data, dict) else data
        if isinstance(items, dict):
            codes |= {str(k) for k in items}
        elif isinstance(items, list):
            codes |= {str(t.get("code") or t.get("id")) for t in items if isinstance(t, dict)}
    return codes


def _city_agencies(config_dir: Path) -> set[str]:
    out: set[str] = set()
    for f in sorted((Path(config_dir) / "cities").glob("*.yaml")):
        try:
            city = load_model(f, CityConfig)
        except ConfigError:
            continue
        out |= {a.id for a in city.agencies}
    return out


def check_config(config_dir: Path) -> str:
    """Validate `alerts.yaml` (and that its topics and agencies exist); a summary line or ConfigError."""
    path = _alerts_path(config_dir)
    af = load_alerts_file(config_dir)
    topics = _known_topics(config_dir)
    agencies = _city_agencies(config_dir)
    problems = []
    for i, r in enumerate(af.rules):
        for t in r.topics:
            if t not in topics:
                problems.append(f"{path}: rules.{i}.topics: unknown topic code {t!r} (see config/topics.yaml)")
        if r.agency and agencies and r.agency not in agencies:
            problems.append(
                f"{path}: rules.{i}.agency: unknown agency {r.agency!r} (expected one of {', '.join(sorted(agencies))})"
            )
    for t in af.triggers.spike.topics:
        if t not in topics:
            problems.append(f"{path}: triggers.spike.topics: unknown topic code {t!r}")
    if problems:
        raise ConfigError("\n".join(problems))
    enabled = sum(1 for r in af.rules if r.enabled)
    return f"{len(af.rules)} rule(s), {enabled} enabled"


def rule_from_definition(definition: dict[str, Any], where: str = "alert_rules") -> Rule:
    try:
        return Rule.model_validate(definition)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(where, exc)) from None


def load_rules(ctx: AppContext) -> list[Rule]:
    """Configured rules plus the ones edited in the UI (a DB rule replaces a file rule by id).
    A broken DB rule is logged and skipped, so one bad edit cannot stop every alert."""
    from duluan.db import AlertRule

    rules = {r.id: r for r in load_alerts_file(ctx.settings.config_dir).rules}
    with ctx.session() as s:
        for row in s.query(AlertRule).all():
            try:
                rule = rule_from_definition({**row.definition, "id": row.id, "name": row.name,
                                             "enabled": row.enabled}, f"alert_rules[{row.id}]")
            except ConfigError as exc:
                log.error("alert rule %s from the database is invalid, skipped: %s", row.id, exc)
                continue
            rules[rule.id] = rule
    return list(rules.values())


# ------------------------------------------------------------------ matching


@dataclass
class CompiledRule:
    """A rule ready to test articles in memory; `match` returns the reasons or None."""

    rule: Rule
    node: Node | None = None
    topics: frozenset[str] = field(default_factory=frozenset)
    languages: frozenset[str] = field(default_factory=frozenset)
    kinds: frozenset[str] = field(default_factory=frozenset)
    countries: frozenset[str] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, rule: Rule) -> CompiledRule:
        return cls(rule=rule, node=parse_query(rule.query) if rule.query else None,
                   topics=frozenset(rule.topics), languages=frozenset(rule.languages),
                   kinds=frozenset(rule.kinds), countries=frozenset(rule.countries),
                   sources=frozenset(rule.sources))

    def match(self, f: ArticleFeatures) -> list[str] | None:
        r = self.rule
        a = f.article
        # cheap scalar filters first, the text query last
        if self.kinds and f.kind not in self.kinds:
            return None
        if self.languages and a.language not in self.languages:
            return None
        if self.countries and a.source_country not in self.countries:
            return None
        if self.sources and a.source_id not in self.sources:
            return None
        if r.about_city and not f.relevant:
            return None
        if r.min_relevance is not None and a.relevance < r.min_relevance:
            return None
        if r.min_risk is not None and a.risk < r.min_risk:
            return None
        if r.max_sentiment is not None and (f.sentiment is None or f.sentiment > r.max_sentiment):
            return None
        hit_topics: frozenset[str] = frozenset()
        if self.topics:
            hit_topics = self.topics & f.topics
            if not hit_topics:
                return None
        if self.node is not None and not node_matches(self.node, f):
            return None
        return self._reasons(f, hit_topics)

    def _reasons(self, f: ArticleFeatures, hit_topics: frozenset[str]) -> list[str]:
        """Why the rule fired, in Vietnamese (shown in the inbox, e-mail and webhook)."""
        r = self.rule
        a = f.article
        out = [f"Quy tắc «{r.name}»"]
        if self.kinds:
            out.append("báo nước ngoài" if f.kind == "foreign" else "báo trong nước")
        if hit_topics:
            out.append("chủ đề: " + ", ".join(sorted(hit_topics)))
        if r.max_sentiment is not None:
            out.append(f"sắc thái {'tiêu cực' if f.sentiment == -1 else 'trung tính' if f.sentiment == 0 else 'tích cực'}")
        if r.min_risk is not None:
            out.append(f"rủi ro {a.risk:.0f} ≥ {r.min_risk:.0f}")
        if r.query:
            out.append(f"khớp truy vấn: {r.query}")
        if self.languages:
            out.append(f"ngôn ngữ {a.language}")
        if self.countries:
            out.append(f"quốc gia {a.source_country}")
        return out


def compile_rules(rules: list[Rule]) -> list[CompiledRule]:
    return [CompiledRule.of(r) for r in rules if r.enabled]


# ------------------------------------------------------------------ dry run


def dry_run(ctx: AppContext, rule: Rule, days: int = 7, now: datetime | None = None,
            max_articles: int = 20_000) -> list[dict[str, Any]]:
    """What `rule` would have fired over the last `days` days in the index: one entry per
    (story or lone article), as the engine would dedup them, newest first."""
    from index.base import Query

    now = now or datetime.now(UTC)
    compiled = CompiledRule.of(rule.model_copy(update={"enabled": True}))
    threshold = ctx.settings.enrichment.relevance_threshold
    # push the cheap filters down to the index; topics/relevance/sentiment use corrected
    # labels in memory, so only filters the index applies identically go in the query
    base = Query(text=rule.query, since=now - timedelta(days=days), until=now,
                 languages=tuple(rule.languages), kinds=tuple(rule.kinds), countries=tuple(rule.countries),
                 sources=tuple(rule.sources), min_risk=rule.min_risk, sort="newest", limit=500)
    fired: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    seen = 0
    while seen < max_articles:
        from dataclasses import replace

        page = ctx.index.search(replace(base, cursor=cursor))
        for a in page.items:
            seen += 1
            reasons = compiled.match(ArticleFeatures.of(a, threshold))
            if reasons is None:
                continue
            key = a.story_id or a.id
            entry = fired.get(key)
            if entry is None:
                fired[key] = {
                    "rule_id": rule.id, "story_id": a.story_id, "article_id": a.id, "title": a.title,
                    "url": a.url, "published_at": a.published_at.isoformat(), "source": a.source_id,
                    "source_name": a.source_name, "country": a.source_country, "kind": str(a.source_kind),
                    "language": a.language, "severity": rule.severity, "reasons": reasons,
                    "articles": 1, "outlets": [a.source_id],
                }
            else:
                entry["articles"] += 1
                if a.source_id not in entry["outlets"]:
                    entry["outlets"].append(a.source_id)
                # the oldest article of the story is what would have fired first
                entry.update({"article_id": a.id, "title": a.title, "url": a.url,
                              "published_at": a.published_at.isoformat(), "source": a.source_id,
                              "source_name": a.source_name, "country": a.source_country,
                              "language": a.language, "kind": str(a.source_kind)})
        if not page.next_cursor or not page.items:
            break
        cursor = page.next_cursor
    out = list(fired.values())
    for e in out:
        if len(e["outlets"]) >= rule.escalate_outlets:
            e["severity"] = raise_severity(rule.severity)
    out.sort(key=lambda e: e["published_at"], reverse=True)
    return out


def folded(text: str) -> str:
    """Diacritic-free lower-case form used for keyword checks."""
    return fold(normalize_text(text))
