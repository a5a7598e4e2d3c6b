"""The daily digest: headline figures, alerts of the day, notable articles by topic (foreign
negative first, a story once with its outlets), and a valid "no coverage" digest for an empty day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from duluan.models import Article, Kind, Sentiment, TopicScore, article_id
from reports.alerts_data import alerts_for_period
from reports.compose_digest import compose_digest
from reports.digest import build_digest
from reports.periods import day_period
from reports.service import admin_frame, generate_report
from reports.topics import TopicNames
from tests.reports.helpers import docx_text, pdf_text

TZ = "Asia/Ho_Chi_Minh"


def _art(url: str, title: str, kind: str, sentiment: int | None, topics: list[str], hour: int,
         story: str | None = None, source: str = "tuoitre", country: str = "VN", lang: str = "vi",
         title_vi: str | None = None, risk: float = 10.0) -> Article:
    return Article(
        id=article_id(url), url=url, canonical_url=url, source_id=source, source_name=source.upper(),
        source_country=country, source_kind=Kind(kind), title=title, title_vi=title_vi,
        text="Câu thứ nhất về Thành phố. Câu thứ hai nói thêm. Câu thứ ba kết luận. Câu thứ tư không hiện.",
        published_at=datetime(2026, 12, 3, hour, 0, tzinfo=UTC), language=lang, relevance=0.9,
        topics=[TopicScore(code=t, score=0.9) for t in topics],
        sentiment=Sentiment(label=sentiment, score=0.5, method="test") if sentiment is not None else None,
        story_id=story, risk=risk,
    )


@pytest.fixture
def day_ctx(ctx: Any) -> Any:
    ctx.index.upsert([
        _art("https://tuoitre.vn/a", "Thành phố khánh thành tuyến metro", "domestic", 1, ["traffic"], 2, risk=5),
        _art("https://bbc.example/b", "Saigon floods again", "foreign", -1, ["flooding"], 3, source="bbc",
             country="GB", lang="en", title_vi="Sài Gòn lại ngập", risk=70),
        _art("https://thanhnien.vn/c", "Triều cường gây ngập nhiều tuyến đường", "domestic", -1, ["flooding"], 4,
             story="s1", source="thanhnien", risk=40),
        _art("https://nld.vn/d", "Ngập sâu sau triều cường", "domestic", -1, ["flooding"], 5, story="s1",
             source="nld", risk=30),
        _art("https://vnexpress.net/e", "Triều cường dâng cao", "domestic", 0, ["flooding"], 6, story="s1",
             source="vnexpress", risk=20),
        _art("https://rfa.example/f", "Claims about religion in the city", "foreign", -1, ["religion"], 7,
             source="rfa", country="US", lang="en", risk=90),
        _art("https://tuoitre.vn/g", "Giá vàng hôm nay", "domestic", 0, ["economy"], 8, risk=1) .model_copy(
            update={"relevance": 0.1}),
        _art("https://tuoitre.vn/h", "Chưa có nhãn", "domestic", None, [], 9, risk=2),
    ])
    return ctx


def test_digest_orders_and_groups(day_ctx: Any) -> None:
    p = day_period(date(2026, 12, 3), TZ)
    with day_ctx.session() as s:
        alerts = alerts_for_period(s, p.start, p.end, TZ)
    data = build_digest(day_ctx.index, p, 0.5, alerts, TopicNames.fallback(), {}, now=datetime(2026, 12, 4, tzinfo=UTC))
    fig = data.figures
    assert fig.total == 7 and fig.foreign == 2 and fig.domestic == 5  # the 0.1-relevance article is out
    assert fig.sentiment[-1] == 4 and fig.unlabelled == 1
    # sensitive topic group first, then by taxonomy order; foreign negative first inside a group
    names = [g.name for g in data.groups]
    assert names[0] == "Tôn giáo"
    flood = next(g for g in data.groups if g.code == "flooding")
    assert flood.items[0].outlet == "BBC" and flood.items[0].gloss == "Sài Gòn lại ngập"
    # the story s1 (three outlets) appears once, listing the other outlets
    story_items = [i for g in data.groups for i in g.items if i.story_id == "s1"]
    assert len(story_items) == 1
    assert sorted([story_items[0].outlet, *story_items[0].outlets]) == ["NLD", "THANHNIEN", "VNEXPRESS"]
    # 2-3 sentence summary from the lead when enrichment gave none
    assert story_items[0].summary.count("Câu") == 3
    doc = compose_digest(data, admin_frame(day_ctx, datetime(2026, 12, 4, tzinfo=UTC), motto=False))
    text = doc.text()
    assert "BẢN TIN THEO DÕI DƯ LUẬN BÁO CHÍ NGÀY 03/12/2026" in text
    assert "Tạm dịch: Sài Gòn lại ngập" in text
    assert "1 tin bài chưa được đánh giá sắc thái" in text
    assert "Không phát sinh cảnh báo trong ngày." in text


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_empty_day_gives_a_no_coverage_digest(ctx: Any, tmp_path: Path, fmt: str) -> None:
    p = day_period(date(2026, 12, 20), TZ)
    row = generate_report(ctx, "daily", p.start, p.end, fmt, created_by="test", out=tmp_path / f"empty.{fmt}")
    data = Path(row.path).read_bytes()
    if fmt == "html":
        text = data.decode("utf-8")
    elif fmt == "docx":
        text = docx_text(data)
    else:
        text = " ".join(pdf_text(Path(row.path)).split())
    assert "BẢN TIN THEO DÕI DƯ LUẬN BÁO CHÍ NGÀY 20/12/2026" in text
    assert "Không ghi nhận tin bài nào" in text
    assert "Không có dữ liệu thu thập trong ngày" in text  # missing data is said, not hidden
    assert row.kind == "daily" and row.size == len(data)


def test_html_digest_is_email_safe(day_ctx: Any, tmp_path: Path) -> None:
    p = day_period(date(2026, 12, 3), TZ)
    row = generate_report(day_ctx, "daily", p.start, p.end, "html", created_by="test", out=tmp_path / "d.html")
    html = Path(row.path).read_text(encoding="utf-8")
    assert "<style" not in html and "<script" not in html and "<link" not in html
    assert 'style="' in html and 'href="https://bbc.example/b"' in html
    assert "Sài Gòn lại ngập" in html
