"""The PDF renders (pdftoppm) and its Vietnamese text round-trips through pdftotext."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from reports.periods import month_period
from reports.service import generate_report
from tests.reports.helpers import pdf_text

TZ = "Asia/Ho_Chi_Minh"


@pytest.mark.slow
def test_monthly_pdf_renders_and_vietnamese_round_trips(rctx: Any, tmp_path: Path) -> None:
    p = month_period(2026, 10, TZ)
    row = generate_report(rctx, "monthly", p.start, p.end, "pdf", created_by="test")
    path = Path(row.path)
    assert path.read_bytes()[:5] == b"%PDF-"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 4
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(path), str(tmp_path / "page")],
                   check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 5000 for p in pngs)
    text = pdf_text(path)
    # words full of Vietnamese diacritics must survive font embedding and extraction
    for needle in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO",
                   "Tổng hợp dư luận báo chí trong và ngoài nước về Thành phố", "I. TỔNG QUAN",
                   "III. BÁO CHÍ NƯỚC NGOÀI", "Các chủ đề nhạy cảm", "Nơi nhận:", "GIÁM ĐỐC",
                   "VIII. THÔNG TIN SAI LỆCH ĐƯỢC PHÁT HIỆN VÀ KẾT QUẢ XỬ LÝ"):
        assert needle in " ".join(text.split()), needle
    # no missing-glyph boxes
    assert "\ufffd" not in text


def test_daily_pdf_with_asian_titles(rctx: Any, tmp_path: Path) -> None:
    """A day with Japanese/Korean foreign titles: the PDF still renders and keeps them."""
    from datetime import date

    from reports.periods import day_period

    day = next(a.published_at for a in rctx.index.search(
        __import__("index.base", fromlist=["Query"]).Query(languages=("ja",), min_relevance=0.5, limit=1)).items)
    from zoneinfo import ZoneInfo

    d: date = day.astimezone(ZoneInfo(TZ)).date()
    p = day_period(d, TZ)
    row = generate_report(rctx, "daily", p.start, p.end, "pdf", created_by="test", out=tmp_path / "d.pdf")
    text = pdf_text(Path(row.path))
    assert f"BẢN TIN THEO DÕI DƯ LUẬN BÁO CHÍ NGÀY {d:%d/%m/%Y}" in " ".join(text.split())
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)
