"""HTML renderer of the document model. Every style is inline (e-mail clients drop `<style>`), so
the same HTML works as an e-mail body, a download and — with `for_pdf` (fonts with Vietnamese
and CJK coverage that exist on the server, A4 page rules) — as WeasyPrint's input."""

from __future__ import annotations

import base64
from html import escape

from reports.document import Block, Bullets, Document, Heading, Image, Note, Para, Table, header_lines, runs

# Office PCs have Times New Roman; the server renders PDFs with Noto Serif (full Vietnamese
# coverage) — "Times New Roman" is not listed there because fontconfig would substitute a
# metric clone that lacks Vietnamese glyphs.
FONT_MAIL = "'Times New Roman', Times, 'Noto Serif', 'DejaVu Serif', serif"
FONT_PDF = "'Noto Serif', 'DejaVu Serif', 'Noto Serif CJK JP', 'Noto Sans CJK JP', serif"

PAGE_CSS = """@page { size: A4; margin: 2cm 1.5cm 2cm 3cm;
  @bottom-center { content: counter(page); font-size: 10pt; } }
table { page-break-inside: auto; } tr { page-break-inside: avoid; }
h2, h3, h4 { page-break-after: avoid; } figure { page-break-inside: avoid; }"""


def _runs_html(value: object) -> str:
    out = []
    for r in runs(value):  # type: ignore[arg-type]
        t = escape(r.text)
        style = []
        if r.color:
            style.append(f"color:{r.color}")
        if r.bold:
            t = f"<b>{t}</b>"
        if r.italic:
            t = f"<i>{t}</i>"
        if r.href:
            link_color = r.color or "#1a4d8f"
            t = f'<a href="{escape(r.href, quote=True)}" style="color:{link_color};text-decoration:none">{t}</a>'
        elif style:
            t = f'<span style="{";".join(style)}">{t}</span>'
        out.append(t)
    return "".join(out)


def _table(b: Table, font_size: str) -> str:
    widths = b.widths or [1.0] * len(b.headers)
    total = sum(widths)
    cell = "border:1px solid #555;padding:3px 5px;vertical-align:top"
    h = []
    if b.caption:
        h.append(f'<p style="margin:8px 0 3px 0;font-style:italic;text-align:center;page-break-after:avoid">{escape(b.caption)}</p>')
    h.append(f'<table style="border-collapse:collapse;width:100%;font-size:{font_size};margin-bottom:8px">')
    h.append("<thead><tr>")
    for i, head in enumerate(b.headers):
        w = 100.0 * widths[i] / total if i < len(widths) else None
        wstyle = f"width:{w:.0f}%;" if w else ""
        h.append(f'<th style="{cell};{wstyle}background:#e8ecf2;text-align:center">{escape(head)}</th>')
    h.append("</tr></thead><tbody>")
    if not b.rows:
        h.append(f'<tr><td colspan="{len(b.headers)}" style="{cell};text-align:center;font-style:italic">'
                 "Không có dữ liệu</td></tr>")
    for row in b.rows:
        h.append("<tr>")
        for i, c in enumerate(row):
            align = "right" if i in b.numeric else "left"
            h.append(f'<td style="{cell};text-align:{align}">{_runs_html(c)}</td>')
        h.append("</tr>")
    h.append("</tbody></table>")
    return "".join(h)


def _block(b: Block, doc: Document, font_size: str) -> str:
    if isinstance(b, Heading):
        size = {1: "1em", 2: "1em", 3: "1em"}[min(b.level, 3)]
        style = f"font-size:{size};margin:12px 0 6px 0;font-weight:bold"
        if b.level == 3:
            style += ";font-style:italic"
        tag = f"h{b.level + 1}"
        return f'<{tag} style="{style}">{escape(b.text)}</{tag}>'
    if isinstance(b, Para):
        style = [f"text-align:{b.align}", "margin:0 0 6px 0", "line-height:1.4"]
        if b.indent:
            style.append("text-indent:1cm")
        if b.small:
            style.append("font-size:0.85em;color:#444")
        return f'<p style="{";".join(style)}">{_runs_html(b.content)}</p>'
    if isinstance(b, Table):
        return _table(b, font_size)
    if isinstance(b, Image):
        data = doc.images.get(b.key)
        if not data:
            return ""
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return (f'<figure style="margin:8px 0;text-align:center"><img src="{src}" alt="{escape(b.caption)}" '
                f'style="max-width:100%;width:{b.width_cm:.1f}cm">'
                f'<figcaption style="font-style:italic;font-size:0.9em">{escape(b.caption)}</figcaption></figure>')
    if isinstance(b, Bullets):
        items = "".join(f'<li style="margin-bottom:3px">{_runs_html(i)}</li>' for i in b.items)
        return f'<ul style="margin:0 0 6px 0;padding-left:1.2cm">{items}</ul>'
    if isinstance(b, Note):
        return ('<p style="background:#fff4ce;border-left:4px solid #e0a800;padding:5px 8px;margin:6px 0;'
                f'font-size:0.92em">{escape(b.text)}</p>')
    raise TypeError(f"unknown block {type(b).__name__}")


def _header(doc: Document) -> str:
    f = doc.frame
    left = "<br>".join(f"<b>{escape(t)}</b>" if bold else escape(t) for t, bold in header_lines(f.issuing_body))
    left += '<br><span style="display:inline-block;border-top:1px solid #000;width:35%;margin:2px 0"></span>'
    if f.number:
        left += f"<br>{escape(f.number)}"
    if f.motto:
        right = ("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập - Tự do - Hạnh phúc</b><br>"
                 '<span style="display:inline-block;border-top:1px solid #000;width:55%;margin:2px 0"></span><br>'
                 f'<i style="white-space:nowrap">{escape(f.place_date)}</i>')
    else:
        right = f"<i>{escape(f.place_date)}</i>"
    return ('<table style="width:100%;border-collapse:collapse;margin-bottom:14px"><tr>'
            f'<td style="width:42%;text-align:center;vertical-align:top;font-size:0.8em;padding:0">{left}</td>'
            f'<td style="width:58%;text-align:center;vertical-align:top;font-size:0.8em;padding:0">{right}</td>'
            "</tr></table>")


def _footer(doc: Document) -> str:
    f = doc.frame
    if not f.recipients and not f.signer_title:
        return ""
    rec = "".join(f"<br>- {escape(r)};" if i < len(f.recipients) - 1 else f"<br>- {escape(r)}."
                  for i, r in enumerate(f.recipients))
    left = f'<b><i>Nơi nhận:</i></b><span style="font-size:0.85em">{rec}</span>'
    right = f"<b>{escape(f.signer_title)}</b><br><br><br><br><br><b>{escape(f.signer_name)}</b>"
    return ('<table style="width:100%;border-collapse:collapse;margin-top:18px;page-break-inside:avoid"><tr>'
            f'<td style="width:50%;vertical-align:top;font-size:0.9em">{left}</td>'
            f'<td style="width:50%;vertical-align:top;text-align:center">{right}</td></tr></table>')


def render_html(doc: Document, for_pdf: bool = False) -> str:
    """The whole document as one self-contained HTML page (charts inlined as data URIs)."""
    font = FONT_PDF if for_pdf else FONT_MAIL
    size = "13pt"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title)} — {escape(doc.subject)}</title>",
        f"<style>{PAGE_CSS}</style>" if for_pdf else "",
        "</head>",
        f'<body style="margin:0;padding:0;background:#ffffff;color:#111;font-family:{font};font-size:{size}">',
        f'<div style="max-width:{"none" if for_pdf else "820px"};margin:0 auto;padding:{"0" if for_pdf else "16px"}">',
        _header(doc),
        f'<h1 style="text-align:center;font-size:1.1em;margin:6px 0 2px 0">{escape(doc.title)}</h1>',
        f'<p style="text-align:center;font-weight:bold;margin:0 0 14px 0">{escape(doc.subject)}</p>',
    ]
    parts.extend(_block(b, doc, "0.85em") for b in doc.blocks)
    parts.append(_footer(doc))
    if doc.footer_text:
        parts.append(f'<p style="font-size:0.75em;color:#666;margin-top:14px">{escape(doc.footer_text)}</p>')
    parts.append("</div></body></html>")
    return "\n".join(p for p in parts if p)

