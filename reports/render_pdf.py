"""PDF renderer: WeasyPrint over the HTML rendering (A4, Noto Serif for Vietnamese, Noto CJK for
Asian titles), so the PDF carries exactly the content of the HTML and DOCX."""

from __future__ import annotations

import logging

from duluan.errors import DuluanError
from reports.document import Document
from reports.render_html import render_html

# WeasyPrint and fontTools log every subsetted font at INFO/WARNING; keep them out of the job log
for _name in ("weasyprint", "fontTools", "fontTools.subset", "fontTools.ttLib"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing on the system
        raise DuluanError(f"PDF output needs WeasyPrint and Pango (run `make system-deps`): {exc}") from None
    html = render_html(doc, for_pdf=True)
    return HTML(string=html, base_url=None).write_pdf()
