"""The monthly summary over the enriched demo month (October 2026): its figures equal counts
computed independently from the articles and from the index; the DOCX is a real Word document
in the administrative form with headings, tables and embedded charts."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from duluan.db import ReportArchive, ReportDraft
from duluan.models import Article
from index.base import Query
from reports.figures import compute_figures
from reports.periods import month_period
from reports.service import generate_report
from tests.reports.helpers import docx_text

TZ = "Asia/Ho_Chi_Minh"
THRESHOLD = 0.5


def _expected(articles: list[Article]) -> dict[str, Any]:
    """The month's figures straight from the article records (no index involved)."""
    p = month_period(2026, 10, TZ)
    rel = [a for a in articles if p.contains(a.published_at) and a.effective_relevant(THRESHOLD)]
    return {
        "total": len(rel),
        "collected": sum(1 for a in articles if p.contains(a.published_at)),
        "kind": Counter(str(a.source_kind) for a in rel),
        "sentiment": Counter(a.effective_sentiment() for a in rel),
        "topics": Counter(t for a in rel for t in set(a.effective_topics())),
        "countries": Counter(a.source_country for a in rel if str(a.source_kind) == "foreign"),
        "languages": Counter(a.language for a in rel),
    }


def test_figures_equal_independent_counts(rctx: Any, articles: list[Article]) -> None:
    exp = _expected(articles)
    p = month_period(2026, 10, TZ)
    fig = compute_figures(rctx.index, p, THRESHOLD)
    assert exp["total"] > 100  # the fixture month is not trivial
    assert fig.total == exp["total"]
    assert fig.collected == exp["collected"]
    assert fig.domestic == exp["kind"]["domestic"] and fig.foreign == exp["kind"]["foreign"]
    for label in (1, 0, -1, None):
        assert fig.sentiment.get(label, 0) == exp["sentiment"].get(label, 0), label
    assert {c: r.count for c, r in fig.topics.items()} == dict(exp["topics"])
    assert dict(fig.countries_foreign) == dict(exp["countries"])
    assert dict(fig.languages) == dict(exp["languages"])
    # and the same through plain index counts (another read path of the contract)
    q = Query(since=p.start, until=p.end, min_relevance=THRESHOLD)
    assert rctx.index.count(q) == fig.total
    assert rctx.index.count(Query(since=p.start, until=p.end, min_relevance=THRESHOLD, kinds=("foreign",))) == fig.foreign
    assert rctx.index.count(Query(since=p.start, until=p.end, min_relevance=THRESHOLD, sentiments=(-1,))) \
        == fig.sentiment[-1]
    # the analyst's correction wins: the first article was made relevant, negative and "flooding"
    assert fig.topics["flooding"].count >= 1


@pytest.fixture
def monthly_docx(rctx: Any, tmp_path: Path) -> tuple[Any, bytes]:
    p = month_period(2026, 10, TZ)
    row = generate_report(rctx, "monthly", p.start, p.end, "docx", created_by="test")
    return row, Path(row.path).read_bytes()


def test_monthly_docx_structure(rctx: Any, articles: list[Article], monthly_docx: tuple[Any, bytes]) -> None:
    row, data = monthly_docx
    exp = _expected(articles)
    d = docx.Document(io.BytesIO(data))
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == [
        "I. TỔNG QUAN", "II. BÁO CHÍ TRONG NƯỚC", "III. BÁO CHÍ NƯỚC NGOÀI", "IV. CÁC CHỦ ĐỀ ĐƯỢC QUAN TÂM",
        "V. DIỄN BIẾN SẮC THÁI DƯ LUẬN", "VI. CÁC SỰ KIỆN ĐƯỢC ĐƯA TIN NHIỀU NHẤT",
        "VII. CƠ QUAN BÁO CHÍ VÀ PHÓNG VIÊN VIẾT NHIỀU VỀ THÀNH PHỐ",
        "VIII. THÔNG TIN SAI LỆCH ĐƯỢC PHÁT HIỆN VÀ KẾT QUẢ XỬ LÝ", "IX. NHẬN ĐỊNH, ĐÁNH GIÁ VÀ KIẾN NGHỊ, ĐỀ XUẤT",
    ]
    assert any(p.style.name == "Heading 2" and p.text == "1. Các chủ đề nhạy cảm" for p in d.paragraphs)
    # charts embedded as pictures: volume, languages/countries, topics, sentiment, outlets
    assert len(d.inline_shapes) == 5
    assert len(d.tables) >= 10
    # Bảng 1 (after the two frame tables): the figures equal the independent counts
    overview = next(t for t in d.tables if t.rows[0].cells[0].text == "Chỉ tiêu")
    cells = {r.cells[0].text: r.cells[1].text.replace(".", "") for r in overview.rows[1:]}
    assert cells["Tổng số tin bài về Thành phố"] == str(exp["total"])
    assert cells["Báo chí trong nước"] == str(exp["kind"]["domestic"])
    assert cells["Báo chí nước ngoài"] == str(exp["kind"]["foreign"])
    assert cells["Tin bài tiêu cực"] == str(exp["sentiment"][-1])
    assert cells["Tin bài chưa đánh giá sắc thái"] == str(exp["sentiment"][None])
    # the administrative frame
    text = docx_text(data)
    for needle in ("ỦY BAN NHÂN DÂN\nTHÀNH PHỐ HỒ CHÍ MINH", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
                   "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "/BC-STTTT",
                   "Thành phố Hồ Chí Minh, ngày", "BÁO CÁO",
                   "Tổng hợp dư luận báo chí trong và ngoài nước về Thành phố tháng 10/2026",
                   "Nơi nhận:", "Ban Chỉ đạo công tác thông tin đối ngoại Thành phố", "GIÁM ĐỐC"):
        assert needle in text, needle
    # missing data is said: unlabelled articles
    assert f"{exp['sentiment'][None]} tin bài" in text and "chưa được đánh giá sắc thái" in text
    # Times New Roman 13 pt body
    assert d.styles["Normal"].font.name == "Times New Roman"
    assert d.styles["Normal"].font.size == Pt(13)
    for name in ("Heading 1", "Heading 2", "Title"):  # no theme font (Calibri Light) that Word would prefer
        rfonts = d.styles[name].element.rPr.find(qn("w:rFonts"))
        assert rfonts.get(qn("w:ascii")) == "Times New Roman" and rfonts.get(qn("w:asciiTheme")) is None
    # the analyst's section shows the placeholder when there is no draft
    assert "do cán bộ phân tích bổ sung" in text
    with rctx.session() as s:
        archived = s.get(ReportArchive, row.id)
        assert archived.kind == "monthly" and archived.format == "docx" and archived.size == len(data)
        assert archived.period_start == month_period(2026, 10, TZ).start
    assert Path(row.path).parent == rctx.settings.data_dir / "reports" / "monthly"


def test_draft_assessment_and_number_are_used(rctx: Any) -> None:
    with rctx.session() as s:
        s.add(ReportDraft(kind="monthly", period_key="2026-10", number="57",
                          assessment="Dư luận báo chí nước ngoài về Thành phố nhìn chung tích cực.\nCần lưu ý tin về ngập.",
                          proposals="Đề nghị Sở Ngoại vụ tổ chức họp báo quốc tế về chống ngập.", updated_by="analyst"))
        s.commit()
    p = month_period(2026, 10, TZ)
    row = generate_report(rctx, "monthly", p.start, p.end, "docx", created_by="test")
    text = docx_text(Path(row.path).read_bytes())
    assert "Số: 57/BC-STTTT" in text
    assert "Dư luận báo chí nước ngoài về Thành phố nhìn chung tích cực." in text
    assert "Cần lưu ý tin về ngập." in text
    assert "Đề nghị Sở Ngoại vụ tổ chức họp báo quốc tế về chống ngập." in text
    assert "do cán bộ phân tích bổ sung" not in text


def test_draft_saved_by_the_web_ui_key_is_used(rctx: Any) -> None:
    """The web UI keys monthly drafts as "monthly:YYYY-MM"."""
    with rctx.session() as s:
        s.add(ReportDraft(kind="monthly", period_key="monthly:2026-10", assessment="Nhận định từ giao diện web.",
                          proposals="", number="", updated_by="analyst"))
        s.commit()
    p = month_period(2026, 10, TZ)
    row = generate_report(rctx, "monthly", p.start, p.end, "html", created_by="test")
    html = Path(row.path).read_text(encoding="utf-8")
    assert "Nhận định từ giao diện web." in html
    assert "Phần kiến nghị, đề xuất do cán bộ phân tích bổ sung" in html  # empty proposals keep the placeholder


def test_period_report_compares_with_previous_range(rctx: Any, articles: list[Article]) -> None:
    """A quarter-like custom range: its previous range of the same length is the comparison."""
    from reports.periods import custom_period

    p = custom_period(datetime(2026, 11, 1).date(), datetime(2026, 11, 15).date(), TZ)
    prev = p.previous()
    row = generate_report(rctx, "period", p.start, p.end, "docx", created_by="test")
    text = docx_text(Path(row.path).read_bytes())
    assert "từ ngày 01/11/2026 đến ngày 15/11/2026" in text
    n_prev = sum(1 for a in articles if prev.contains(a.published_at) and a.effective_relevant(THRESHOLD))
    n_now = sum(1 for a in articles if p.contains(a.published_at) and a.effective_relevant(THRESHOLD))
    d = docx.Document(Path(row.path))
    overview = next(t for t in d.tables if t.rows[0].cells[0].text == "Chỉ tiêu")
    total_row = overview.rows[1]
    assert total_row.cells[1].text.replace(".", "") == str(n_now)
    assert total_row.cells[2].text.replace(".", "") == str(n_prev)
    assert row.period_end == p.end and row.period_start == p.start
    assert datetime.now(UTC) > p.end  # the fixture range is in the past: no "not over yet" note


def test_long_periods_bucket_by_week_and_month(rctx: Any, articles: list[Article]) -> None:
    """A quarter is charted by ISO week, a year by month; the buckets add up to the total."""
    from reports.periods import quarter_period, year_period

    for p, unit, first_label in ((quarter_period(2026, 4, TZ), "week", "2026-W40"),
                                 (year_period(2026, TZ), "month", "2026-01")):
        fig = compute_figures(rctx.index, p, THRESHOLD)
        assert fig.time_unit == unit
        labels = list(fig.by_time_kind)
        assert labels[0] == first_label and labels == sorted(labels)
        assert sum(sum(c.values()) for c in fig.by_time_kind.values()) == fig.total
        expected = sum(1 for a in articles if p.contains(a.published_at) and a.effective_relevant(THRESHOLD))
        assert fig.total == expected
    oct_ = compute_figures(rctx.index, year_period(2026, TZ), THRESHOLD).by_time_kind["2026-10"]
    assert sum(oct_.values()) == compute_figures(rctx.index, month_period(2026, 10, TZ), THRESHOLD).total


def test_a_period_with_missing_data_says_so(ctx: Any) -> None:
    """Days on which nothing was collected are named in the report, not silently counted as zero."""
    from duluan.models import Kind, Sentiment, article_id
    from reports.periods import custom_period
    from reports.service import build_document

    arts = []
    for day in (1, 2, 3):
        url = f"https://tuoitre.vn/gap-{day}"
        arts.append(Article(id=article_id(url), url=url, canonical_url=url, source_id="tuoitre", source_name="Tuổi Trẻ",
                            source_country="VN", source_kind=Kind.domestic, title=f"Tin ngày {day}", text="TP.HCM.",
                            published_at=datetime(2026, 9, day, 3, 0, tzinfo=UTC), language="vi", relevance=0.9,
                            sentiment=Sentiment(label=0, method="test")))
    ctx.index.upsert(arts)
    p = custom_period(datetime(2026, 9, 1).date(), datetime(2026, 9, 10).date(), TZ)
    text = build_document(ctx, "period", p).text()
    assert "Thiếu dữ liệu thu thập 7 ngày trong kỳ (04/09, 05/09, 06/09, 07/09, 08/09, 09/09, 10/09)" in text
    assert "hệ thống ghi nhận 3 tin bài" in text


def test_empty_month_is_a_valid_report(ctx: Any, tmp_path: Path) -> None:
    """No articles at all: every section says so; charts still render; nothing raises."""
    p = month_period(2026, 8, TZ)
    for fmt in ("docx", "html"):
        row = generate_report(ctx, "monthly", p.start, p.end, fmt, created_by="test", out=tmp_path / f"aug.{fmt}")
        data = Path(row.path).read_bytes()
        text = docx_text(data) if fmt == "docx" else data.decode("utf-8")
        assert "hệ thống không ghi nhận tin bài nào viết về Thành phố" in text
        assert "Không có dữ liệu thu thập trong kỳ báo cáo." in text
    # volume, topics, sentiment, outlets; no languages/countries chart without foreign press
    assert len(docx.Document(tmp_path / "aug.docx").inline_shapes) == 4
