"""Server-rendered SVG charts (no JavaScript, no CDN): fixed-size markup with presentation
attributes only, so the strict CSP (no inline styles) holds."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def columns(series: Sequence[tuple[str, int]], width: int = 560, height: int = 140, cls: str = "c-main") -> Markup:
    """Vertical bars (e.g. articles per day), with the label under every bar when few enough."""
    if not series:
        return Markup("")
    top = max(v for _, v in series) or 1
    n = len(series)
    gap = 4
    bar_w = max(2.0, (width - gap * (n + 1)) / n)
    chart_h = height - 30
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    for i, (label, value) in enumerate(series):
        h = chart_h * value / top
        x = gap + i * (bar_w + gap)
        y = chart_h - h + 12
        parts.append(f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
                     f"<title>{escape(label)}: {value}</title></rect>")
        if n <= 16:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 4}" text-anchor="middle" class="lbl">'
                         f"{escape(label)}</text>")
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{max(y - 2, 10):.1f}" text-anchor="middle" class="val">'
                         f"{value}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(items: Sequence[tuple[str, int]], width: int = 360, row: int = 22, cls: str = "c-main") -> Markup:
    """Horizontal bars with labels (top topics, outlets)."""
    if not items:
        return Markup("")
    top = max(v for _, v in items) or 1
    label_w = 150
    height = row * len(items) + 4
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    for i, (label, value) in enumerate(items):
        y = i * row + 2
        w = (width - label_w - 40) * value / top
        parts.append(f'<text x="0" y="{y + row - 8}" class="lbl">{escape(label[:24])}</text>')
        parts.append(f'<rect class="{cls}" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + row - 8}" class="val">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def split(parts_in: Sequence[tuple[str, int, str]], width: int = 360, height: int = 26) -> Markup:
    """One stacked bar (e.g. negative / neutral / positive); each part is (label, value, css class)."""
    total = sum(v for _, v, _ in parts_in)
    if not total:
        return Markup("")
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    x = 0.0
    for label, value, cls in parts_in:
        w = width * value / total
        parts.append(f'<rect class="{cls}" x="{x:.1f}" y="0" width="{w:.1f}" height="{height}">'
                     f"<title>{escape(label)}: {value}</title></rect>")
        x += w
    parts.append("</svg>")
    return Markup("".join(parts))
