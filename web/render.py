"""Rendering: one Jinja2 environment per UI language (autoescaping on, gettext installed), the
filters pages share (dates in the office timezone, topic and sentiment names) and the safe
rendering of scraped text.

Scraped text never reaches the page as markup: each piece goes through nh3 with no tag allowed
(tags and script content are dropped, the rest is escaped) and is shown as plain paragraphs; only
the `<mark>` elements we add around matched city aliases are ours."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import nh3
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from duluan.models import Article
from duluan.settings import read_yaml
from duluan.timeutil import fmt_local
from web.i18n import LOCALES, load_translations

log = logging.getLogger("duluan.web")
TEMPLATES = Path(__file__).parent / "templates"

SENTIMENT_KEYS = {-1: "negative", 0: "neutral", 1: "positive"}
SEVERITIES = ("critical", "high", "medium", "low")
ALERT_STATES = ("new", "acknowledged", "assigned", "responded", "closed")


def clean_text(text: str) -> Markup:
    """Scraped text as inert HTML text: nh3 with no allowed tag (drops tags and script bodies)."""
    return Markup(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))


def safe_url(url: str | None) -> str | None:
    """Only http(s) links to originals are rendered; `javascript:` and friends never are."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def _ranges(article: Article, field: str) -> list[tuple[int, int]]:
    out = []
    for m in article.mentions:
        in_title = m.field == "title"
        if (field == "title") == in_title and 0 <= m.start < m.end:
            out.append((m.start, m.end))
    out.sort()
    merged: list[tuple[int, int]] = []
    for s, e in out:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def highlighted(text: str, ranges: list[tuple[int, int]]) -> Markup:
    """`text` cleaned, with the given character ranges wrapped in <mark>."""
    parts: list[str] = []
    pos = 0
    for s, e in ranges:
        if s < pos or e > len(text):
            continue
        parts.append(str(clean_text(text[pos:s])))
        parts.append(f"<mark>{clean_text(text[s:e])}</mark>")
        pos = e
    parts.append(str(clean_text(text[pos:])))
    return Markup("".join(parts))


def article_paragraphs(article: Article) -> list[Markup]:
    """The body as cleaned paragraphs with matched aliases highlighted (offsets into `text`)."""
    ranges = _ranges(article, "body")
    out: list[Markup] = []
    start = 0
    for line in article.text.split("\n"):
        end = start + len(line)
        local = [(max(s, start) - start, min(e, end) - start) for s, e in ranges if s < end and e > start]
        if line.strip():
            out.append(highlighted(line, local))
        start = end + 1
    return out


def article_title(article: Article) -> Markup:
    return highlighted(article.title, _ranges(article, "title"))


class TopicNames:
    """Topic names from `config/topics.yaml` (code, name_vi, name_en) when present; else the code."""

    def __init__(self, config_dir: Path):
        self.names: dict[str, dict[str, str]] = {}
        path = config_dir / "topics.yaml"
        if not path.exists():
            return
        try:
            data = read_yaml(path)
        except Exception as exc:  # noqa: BLE001 - a broken topics file must not take the UI down
            log.warning("topics.yaml unreadable for the UI: %s", exc)
            return
        items = data.get("topics", data) if isinstance(data, dict) else data
        if isinstance(items, dict):
            items = [dict(v, code=k) if isinstance(v, dict) else {"code": k} for k, v in items.items()]
        for it in items or []:
            if isinstance(it, dict) and it.get("code"):
                self.names[str(it["code"])] = {"vi": str(it.get("name_vi") or it["code"]),
                                               "en": str(it.get("name_en") or it["code"])}

    def name(self, code: str, locale: str) -> str:
        return self.names.get(code, {}).get(locale, code)

    def codes(self) -> list[str]:
        return list(self.names)


def build_envs(tz: str, topics: TopicNames) -> dict[str, Environment]:
    """One environment per locale, each with its catalogue and the shared filters."""
    envs: dict[str, Environment] = {}
    for locale in LOCALES:
        env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "xml"]),
                          extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
        env.install_gettext_translations(load_translations(locale), newstyle=True)  # type: ignore[attr-defined]
        env.filters["local"] = lambda dt, with_time=True: fmt_local(dt, tz, with_time)
        # a period's end is exclusive (the next midnight): show the last day it covers
        env.filters["local_end"] = lambda dt: fmt_local(dt - timedelta(microseconds=1), tz, False) if dt else ""
        env.filters["topic"] = lambda code, _loc=locale: topics.name(code, _loc)
        env.filters["safe_url"] = safe_url
        env.filters["clean"] = clean_text
        env.globals["locale"] = locale
        env.globals["SEVERITIES"] = SEVERITIES
        env.globals["ALERT_STATES"] = ALERT_STATES
        env.globals["urlencode"] = lambda d: urlencode(d, doseq=True)
        envs[locale] = env
    return envs


def render(request: Any, template: str, status_code: int = 200, **context: Any) -> Any:
    """Render a page in the user's language with the common context (user, CSRF token, path)."""
    from fastapi.responses import HTMLResponse

    from web.security import LOCALE_COOKIE, current_user

    app = request.app
    user = current_user(request)
    default = app.state.ctx.settings.web.default_locale
    locale = user.locale if user and not user.via_token else request.cookies.get(LOCALE_COOKIE, default)
    env = app.state.envs.get(locale) or app.state.envs[default]
    html = env.get_template(template).render(
        request=request, user=user, csrf=user.csrf if user else "", path=request.url.path,
        ok=request.query_params.get("ok"), **context,
    )
    return HTMLResponse(html, status_code=status_code)
