"""DOCX renderer (python-docx): Times New Roman 13 pt, A4 with the administrative margins, the
frame (issuing body | motto, number, place and date; "Nơi nhận" | signature) as borderless
tables, real Word headings and tables, charts embedded as pictures, page numbers."""

from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from reports.document import Bullets, Document, Heading, Image, Note, Para, Run, Table, header_lines, runs

FONT = "Times New Roman"
SIZE = Pt(13)
_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
          "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}


def _font(style_or_run: object, size: Pt | None = None, bold: bool | None = None) -> None:
    font = style_or_run.font  # type: ignore[attr-defined]
    font.name = FONT
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    el = style_or_run.element  # type: ignore[attr-defined]
    rpr = el.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)
    # theme fonts win over explicit ones in Word: drop them (the default template's headings use them)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)


def _add_runs(p: object, value: object, size: Pt | None = None) -> None:
    for r in runs(value):  # type: ignore[arg-type]
        if r.href:
            _hyperlink(p, r, size)
            continue
        run = p.add_run(r.text)  # type: ignore[attr-defined]
        run.bold = r.bold or None
        run.italic = r.italic or None
        if size:
            run.font.size = size
        if r.color:
            run.font.color.rgb = RGBColor.from_string(r.color.lstrip("#").upper())


def _hyperlink(p: object, r: Run, size: Pt | None) -> None:
    """A real Word hyperlink (python-docx has no API for it)."""
    part = p.part  # type: ignore[attr-defined]
    rid = part.relate_to(r.href, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    wr = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), (r.color or "#1A4D8F").lstrip("#"))
    rpr.append(color)
    if r.bold:
        rpr.append(OxmlElement("w:b"))
    if r.italic:
        rpr.append(OxmlElement("w:i"))
    if size:
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(int(size.pt * 2)))
        rpr.append(sz)
    wr.append(rpr)
    t = OxmlElement("w:t")
    t.text = r.text
    t.set(qn("xml:space"), "preserve")
    wr.append(t)
    link.append(wr)
    p._p.append(link)  # type: ignore[attr-defined]


def _no_borders(table: object) -> None:
    tbl_pr = table._tbl.tblPr  # type: ignore[attr-defined]
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _cell_par(cell: object, text: object, bold: bool = False, italic: bool = False, size: Pt | None = None,
              align: str = "center", first: bool = True) -> object:
    p = cell.paragraphs[0] if first else cell.add_paragraph()  # type: ignore[attr-defined]
    p.alignment = _ALIGN[align]
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.first_line_indent = None
    _add_runs(p, [Run(str(text), bold=bold, italic=italic)] if isinstance(text, str) else text, size)
    return p


def _frame(d: object, doc: Document) -> None:
    f = doc.frame
    t = d.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    _no_borders(t)
    left, right = t.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(10.0)
    for i, (line, bold) in enumerate(header_lines(f.issuing_body)):
        _cell_par(left, line, bold=bold, size=Pt(12.5), first=i == 0)
    _cell_par(left, "——————", size=Pt(8), first=False)
    if f.number:
        _cell_par(left, f.number, size=Pt(13), first=False)
    if f.motto:
        _cell_par(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=Pt(12.5))
        _cell_par(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=Pt(13), first=False)
        _cell_par(right, "———————————", size=Pt(8), first=False)
        _cell_par(right, f.place_date, italic=True, size=Pt(12.5), first=False)
    else:
        _cell_par(right, f.place_date, italic=True, size=Pt(13))


def _signature(d: object, doc: Document) -> None:
    f = doc.frame
    if not f.recipients and not f.signer_title:
        return
    t = d.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    _no_borders(t)
    left, right = t.rows[0].cells
    _cell_par(left, [Run("Nơi nhận:", bold=True, italic=True)], size=Pt(12), align="left")
    for i, r in enumerate(f.recipients):
        end = ";" if i < len(f.recipients) - 1 else "."
        _cell_par(left, f"- {r}{end}", size=Pt(11), align="left", first=False)
    _cell_par(right, f.signer_title, bold=True, size=Pt(13))
    for _ in range(4):
        _cell_par(right, "", first=False)
    _cell_par(right, f.signer_name, bold=True, size=Pt(13), first=False)


def _table(d: object, b: Table) -> None:
    if b.caption:
        cap = d.add_paragraph()  # type: ignore[attr-defined]
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
        cap.paragraph_format.first_line_indent = None
        cap.paragraph_format.keep_with_next = True
        cap.add_run(b.caption).italic = True
    rows = b.rows or [["Không có dữ liệu"] + [""] * (len(b.headers) - 1)]
    t = d.add_table(rows=1 + len(rows), cols=len(b.headers))  # type: ignore[attr-defined]
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = b.widths or [1.0] * len(b.headers)
    total = sum(widths)
    for i, h in enumerate(b.headers):
        cell = t.rows[0].cells[i]
        cell.width = Cm(16.5 * widths[i] / total)
        _cell_par(cell, h, bold=True, size=Pt(11.5))
    for r, row in enumerate(rows, 1):
        cells = t.rows[r].cells
        for i, value in enumerate(row):
            cells[i].width = Cm(16.5 * widths[i] / total)
            _cell_par(cells[i], value, size=Pt(11.5), align="right" if i in b.numeric else "left")
    # repeat the header row on every page
    tr_pr = t.rows[0]._tr.get_or_add_trPr()
    hdr = OxmlElement("w:tblHeader")
    hdr.set(qn("w:val"), "true")
    tr_pr.append(hdr)
    d.add_paragraph().paragraph_format.space_after = Pt(0)  # type: ignore[attr-defined]


def _page_number(section: object) -> None:
    p = section.footer.paragraphs[0]  # type: ignore[attr-defined]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def render_docx(doc: Document) -> bytes:
    """The document as DOCX bytes."""
    d = new_docx()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(2), Cm(2)
    sec.left_margin, sec.right_margin = Cm(3), Cm(1.5)
    normal = d.styles["Normal"]
    _font(normal, SIZE)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Table Grid", "List Bullet"):
        _font(d.styles[name], SIZE if name != "Table Grid" else None, bold=name != "Table Grid" and name != "List Bullet")
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        st = d.styles[name]
        st.paragraph_format.space_before = Pt(8)
        st.paragraph_format.space_after = Pt(4)
        st.font.italic = name == "Heading 3"
    _page_number(sec)
    _frame(d, doc)
    title = d.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(doc.title)
    _font(d.styles["Title"], Pt(14), bold=True)
    title_ppr = d.styles["Title"].element.pPr
    if title_ppr is not None:  # the default template underlines the title with a border
        for border in title_ppr.findall(qn("w:pBdr")):
            title_ppr.remove(border)
    subj = d.add_paragraph()
    subj.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subj.add_run(doc.subject).bold = True
    for b in doc.blocks:
        if isinstance(b, Heading):
            d.add_heading(b.text, level=min(b.level, 3))
        elif isinstance(b, Para):
            p = d.add_paragraph()
            p.alignment = _ALIGN.get(b.align, WD_ALIGN_PARAGRAPH.JUSTIFY)
            if b.indent:
                p.paragraph_format.first_line_indent = Cm(1)
            _add_runs(p, b.content, Pt(11) if b.small else None)
        elif isinstance(b, Table):
            _table(d, b)
        elif isinstance(b, Image):
            data = doc.images.get(b.key)
            if data:
                d.add_picture(io.BytesIO(data), width=Cm(min(b.width_cm, 16.0)))
                d.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                cap = d.add_paragraph()
                cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
                cap.add_run(b.caption).italic = True
        elif isinstance(b, Bullets):
            for item in b.items:
                _add_runs(d.add_paragraph(style="List Bullet"), item)
        elif isinstance(b, Note):
            p = d.add_paragraph()
            r = p.add_run("Lưu ý: " + b.text)
            r.italic = True
    _signature(d, doc)
    if doc.footer_text:
        p = d.add_paragraph()
        r = p.add_run(doc.footer_text)
        r.italic = True
        r.font.size = Pt(10)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
