"""The article page (text sanitised, enrichment with highlighted aliases, its story) and the
analyst's review: corrected topics / sentiment / relevance, a note, reviewed. The corrected
article is written back with `index.upsert`, so the corrections win in search facets and reports;
the pipeline keeps them when the article is re-ingested."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from duluan.db import AlertRecord, audit
from duluan.models import Review
from index.base import Query
from web import topics as topic_codes
from web.render import article_paragraphs, article_title, render
from web.security import CurrentUser, require_user, require_write

router = APIRouter(include_in_schema=False)


def _article(ctx: Any, article_id: str) -> Any:
    art = ctx.index.get(article_id[:64])
    if art is None:
        raise HTTPException(404, "article not found")
    return art


@router.get("/articles/{article_id}")
def article_page(request: Request, article_id: str, user: CurrentUser = Depends(require_user())) -> Response:
    ctx = request.app.state.ctx
    art = _article(ctx, article_id)
    story = []
    if art.story_id:
        story = [a for a in ctx.index.search(Query(story_id=art.story_id, limit=30)).items if a.id != art.id]
    with ctx.session() as s:
        alerts = (s.query(AlertRecord).filter(AlertRecord.article_id == art.id)
                  .order_by(AlertRecord.created_at.desc()).limit(10).all())
    known = list(request.app.state.topics.codes()) or list(topic_codes.ALL)
    for code in art.effective_topics() + [t.code for t in art.topics]:
        if code not in known:
            known.append(code)
    aliases = sorted({m.alias for m in art.mentions})
    return render(
        request, "article.html", a=art, title_html=article_title(art), paragraphs=article_paragraphs(art),
        story=story, alerts=alerts, topic_choices=known, aliases=aliases,
        threshold=ctx.settings.enrichment.relevance_threshold,
    )


@router.post("/articles/{article_id}/review")
async def review_article(request: Request, article_id: str,
                         user: CurrentUser = Depends(require_write("analyst"))) -> Response:
    ctx = request.app.state.ctx
    art = _article(ctx, article_id)
    form = await request.form()
    topics: list[str] | None = None
    if form.get("topics_mode") == "manual":
        topics = sorted({str(t)[:64] for t in form.getlist("topics") if str(t).strip()})
    sentiment_raw = str(form.get("sentiment") or "")
    sentiment = int(sentiment_raw) if sentiment_raw in ("-1", "0", "1") else None
    relevant_raw = str(form.get("relevant") or "")
    relevant = {"1": True, "0": False}.get(relevant_raw)
    note = str(form.get("note") or "").strip()[:4000] or None
    review = Review(
        reviewed=form.get("reviewed") in ("1", "on"), reviewed_by=user.username, reviewed_at=datetime.now(UTC),
        topics=topics, sentiment=sentiment, relevant=relevant, note=note,  # type: ignore[arg-type]
    )
    before = art.review.model_dump(mode="json")
    ctx.index.upsert([art.model_copy(update={"review": review})])
    with ctx.session() as s:
        audit(s, user.username, "article.review", art.id, before=before, after=review.model_dump(mode="json"))
        s.commit()
    return RedirectResponse(f"/articles/{art.id}?ok=reviewed", status_code=303)
