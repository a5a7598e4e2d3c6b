"""`duluan report daily|monthly|period|list` through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx

from duluan.cli import main
from tests.reports.helpers import docx_text


def test_report_monthly_docx_and_list(rctx: Any, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "thang10.docx"
    assert main(["report", "monthly", "--month", "2026-10", "--format", "docx", "--out", str(out)]) in (0, None)
    d = docx.Document(out)
    assert any(p.text == "I. TỔNG QUAN" for p in d.paragraphs)
    assert "tháng 10/2026" in docx_text(out.read_bytes())
    assert main(["report", "daily", "--date", "2026-10-05", "--format", "html"]) in (0, None)
    assert main(["report", "period", "--from", "2026-10-01", "--to", "2026-12-31", "--format", "html",
                 "--out", str(tmp_path / "q4.html")]) in (0, None)
    assert "quý IV năm 2026" in (tmp_path / "q4.html").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["report", "list"]) in (0, None)
    listed = capsys.readouterr().out
    assert "thang10.docx" in listed and "ban-tin-2026-10-05.html" in listed and "q4.html" in listed


def test_report_bad_format_is_one_line_error(rctx: Any, capsys: Any) -> None:
    assert main(["report", "monthly", "--month", "2026-10", "--format", "odt"]) not in (0, None)
    assert "--format" in capsys.readouterr().err
