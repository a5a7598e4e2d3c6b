"""The office's argument library (tài liệu lập luận): Markdown files with YAML front matter in
`config/arguments/`, matched to alerts by topic, keyword overlap and — when the enrichment
embeddings are available — multilingual similarity, so an English or Chinese report finds a
Vietnamese entry.

Front matter keys: id, title, topics, keywords (any language), languages, valid_until,
summary, example (true for the shipped starter entries that the office must replace).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.matching import fast_tokens
from duluan.errors import ConfigError
from duluan.models import Article
from duluan.settings import config_dir_from_env, format_validation_error
from duluan.text import fold, normalize_text
from index.query_parser import index_tokens

log = logging.getLogger("duluan.alerts.arguments")

SIMILARITY_Z = 2.0  # an entry this many standard deviations above the library's mean similarity
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
# common words that say nothing about the subject
_STOP = frozenset(
    "the a an of and or to in on for with by is are was were be as at from that this it its city "
    "va cua cac nhung cho voi la duoc trong tren tai mot nay khi da se co thanh pho tp hcm".split()
)


class TalkingPointMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    topics: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["vi"])
    valid_until: date | None = None
    summary: str = ""
    example: bool = False
    sources: list[str] = Field(default_factory=list, description="where the facts come from")


class TalkingPoint(BaseModel):
    """One entry of the library, and (after matching) its score and why it matched."""

    id: str
    title: str
    topics: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    valid_until: date | None = None
    summary: str = ""
    body: str = ""
    example: bool = False
    sources: list[str] = Field(default_factory=list)
    path: str = ""
    score: float = 0.0
    matched: list[str] = Field(default_factory=list)

    def expired(self, today: date | None = None) -> bool:
        return self.valid_until is not None and self.valid_until < (today or datetime.now(UTC).date())


def parse_argument_file(path: Path) -> TalkingPoint:
    """One Markdown file with front matter; errors name the file and the key."""
    import yaml

    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    m = _FRONT.match(raw)
    if not m:
        raise ConfigError(f"{path}: missing front matter (the file must start with '---', YAML keys, '---')")
    try:
        meta_raw = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML front matter: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(meta_raw, dict):
        raise ConfigError(f"{path}: the front matter must be a mapping of keys")
    meta_raw.setdefault("id", path.stem)
    try:
        meta = TalkingPointMeta.model_validate(meta_raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from None
    body = normalize_text(m.group(2).strip())
    return TalkingPoint(**meta.model_dump(), body=body, path=str(path))


def load_arguments(config_dir: Path | None = None) -> list[TalkingPoint]:
    """Every entry of `<config>/arguments/*.md`, sorted by id (raises ConfigError on a bad file)."""
    folder = Path(config_dir or config_dir_from_env()) / "arguments"
    if not folder.is_dir():
        return []
    points = [parse_argument_file(p) for p in sorted(folder.glob("*.md")) if p.name.lower() != "readme.md"]
    ids: set[str] = set()
    for p in points:
        if p.id in ids:
            raise ConfigError(f"{p.path}: id: duplicate talking-point id {p.id!r}")
        ids.add(p.id)
    return points


def check_config(config_dir: Path) -> str:
    points = load_arguments(config_dir)
    examples = sum(1 for p in points if p.example)
    expired = sum(1 for p in points if p.expired())
    return f"{len(points)} entr(ies), {examples} starter example(s) to replace, {expired} expired"


# ------------------------------------------------------------------ the cached library

_CACHE: dict[str, tuple[float, list[TalkingPoint]]] = {}
_LOCK = threading.Lock()


def library(config_dir: Path | None = None) -> list[TalkingPoint]:
    """The library, re-read when a file in the folder changes (cheap mtime check)."""
    folder = Path(config_dir or config_dir_from_env()) / "arguments"
    key = str(folder.resolve())
    try:
        stamp = max([folder.stat().st_mtime] + [p.stat().st_mtime for p in folder.glob("*.md")])
    except OSError:
        return []
    with _LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
        points = load_arguments(folder.parent)
        _CACHE[key] = (stamp, points)
        return points


# ------------------------------------------------------------------ embeddings (optional)


class _Embedder:
    """Multilingual embeddings from `enrichment.embeddings` when that module is installed;
    unavailable otherwise (matching then uses topics and keywords only)."""

    def __init__(self) -> None:
        self._fn: Any = None
        self._tried = False
        self._vectors: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def available(self) -> bool:
        if not self._tried:
            self._tried = True
            try:
                from enrichment import embeddings as emb  # optional, built by the enrichment area
            except ImportError:
                return False
            for name in ("embed_passages", "embed_texts", "embed"):
                fn = getattr(emb, name, None)
                if callable(fn):
                    self._fn = fn
                    break
        return self._fn is not None

    def embed(self, texts: list[str]) -> list[list[float]] | None:
        if not self.available():
            return None
        try:
            vecs = self._fn(texts)
        except Exception as exc:  # noqa: BLE001 - an optional model failing must not stop an alert
            log.warning("embeddings unavailable for talking points: %s", exc)
            self._fn = None
            return None
        return [list(map(float, v)) for v in vecs]

    def point_vectors(self, points: list[TalkingPoint]) -> list[list[float]] | None:
        """Vectors of the entries' title + keywords (short texts embed more distinctly than
        whole bodies), computed once per entry version."""
        keys = [f"{p.id}:{hash((p.title, tuple(p.keywords)))}" for p in points]
        with self._lock:
            missing = [(k, p) for k, p in zip(keys, points, strict=True) if k not in self._vectors]
        if missing:
            got = self.embed([f"{p.title}. {', '.join(p.keywords)}" for _, p in missing])
            if got is None:
                return None
            with self._lock:
                for (k, _), v in zip(missing, got, strict=True):
                    self._vectors[k] = v
        with self._lock:
            return [self._vectors[k] for k in keys]


EMBEDDER = _Embedder()


def _cosine(a: list[float], b: list[float]) -> float:
    num = sum(x * y for x, y in zip(a, b, strict=False))
    den = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return num / den if den else 0.0


# ------------------------------------------------------------------ matching


@lru_cache(maxsize=20_000)
def _phrase_tokens(text: str) -> tuple[str, ...]:
    return tuple(index_tokens(text))


def _keyword_hits(p: TalkingPoint, folded_text: str, tokens: set[str]) -> list[str]:
    hits = []
    for kw in p.keywords:
        toks = _phrase_tokens(kw)
        if not toks:
            continue
        if len(toks) == 1:
            if toks[0] in tokens:
                hits.append(kw)
        elif " " + " ".join(toks) + " " in folded_text:
            hits.append(kw)
    return hits


def match_arguments(article_or_text: Article | str, topics: list[str] | None, language: str | None,
                    limit: int = 3, *, points: list[TalkingPoint] | None = None,
                    config_dir: Path | None = None, use_embeddings: bool = True,
                    today: date | None = None) -> list[TalkingPoint]:
    """The best entries for an article (or a text): shared topics weigh most, then keyword hits
    in any language, then title-word overlap and embedding similarity. Expired entries and
    entries with nothing in common are left out."""
    if isinstance(article_or_text, Article):
        text = f"{article_or_text.title}\n{article_or_text.summary}\n{article_or_text.text[:4000]}"
        topics = topics if topics is not None else article_or_text.effective_topics()
        language = language or article_or_text.language
    else:
        text = article_or_text
    topics = list(topics or [])
    pool = points if points is not None else library(config_dir)
    pool = [p for p in pool if not p.expired(today)]
    if not pool:
        return []
    toks = fast_tokens(text)
    token_set = set(toks)
    folded_text = " " + " ".join(toks) + " "
    # embeddings only when topics and keywords find nothing: they are what lets an English or
    # Chinese report reach a Vietnamese entry, but they cost ~50-100 ms per alert
    sim_z: list[float] = [0.0] * len(pool)
    plain_hit = any(set(p.topics) & set(topics) or _keyword_hits(p, folded_text, token_set) for p in pool)
    if use_embeddings and not plain_hit and EMBEDDER.available():
        got = EMBEDDER.embed([text[:2000]])
        pvs = EMBEDDER.point_vectors(pool) if got else None
        if got and pvs and len(pool) >= 3:
            # z-score across the library: e5 cosines are compressed (0.7-0.85 for almost
            # anything), so only an entry that stands out from the others counts
            sims = [_cosine(got[0], pv) for pv in pvs]
            mean = sum(sims) / len(sims)
            sd = math.sqrt(sum((x - mean) ** 2 for x in sims) / len(sims)) or 1.0
            sim_z = [(x - mean) / sd for x in sims]
    scored: list[TalkingPoint] = []
    for p, z in zip(pool, sim_z, strict=True):
        shared = sorted(set(p.topics) & set(topics))
        hits = _keyword_hits(p, folded_text, token_set)
        title_words = {t for t in _phrase_tokens(p.title) if len(t) > 2 and t not in _STOP}
        overlap = len(title_words & token_set) / len(title_words) if title_words else 0.0
        score = 3.0 * len(shared) + 1.0 * min(len(hits), 5) + 1.0 * overlap + 1.0 * max(0.0, z - 1.0)
        if not shared and not hits and z < SIMILARITY_Z:
            continue
        if language and p.languages and language in p.languages:
            score += 0.25
        matched = [f"chủ đề {t}" for t in shared] + [f"từ khóa «{h}»" for h in hits[:5]]
        if z >= SIMILARITY_Z:
            matched.append(f"tương đồng ngữ nghĩa (z = {z:.1f})")
        scored.append(p.model_copy(update={"score": round(score, 3), "matched": matched}))
    scored.sort(key=lambda p: (-p.score, p.id))
    return scored[:limit]


def fold_text(text: str) -> str:
    return fold(normalize_text(text))
