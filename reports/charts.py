"""Report charts as PNG bytes (matplotlib, Agg, no pyplot state): volume over time (domestic vs
foreign), sentiment share over time, topics, languages and countries, top outlets. Labels are
Vietnamese, so the font must cover Vietnamese: DejaVu Sans first, Noto Sans (and Noto Sans CJK
for Asian outlet names) as fallbacks."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from reports.figures import Figures  # noqa: E402
from reports.topics import TopicNames, country_name, language_name  # noqa: E402

FONTS = ["DejaVu Sans", "Noto Sans", "sans-serif"]
# outlet names may be Chinese, Japanese or Korean; the fallback font costs time, so only there
FONTS_CJK = ["DejaVu Sans", "Noto Sans CJK JP", "sans-serif"]
DOMESTIC, FOREIGN = "#1f4e79", "#c55a11"
POS, NEU, NEG = "#2e7d32", "#9e9e9e", "#c62828"
DPI = 130


def _fig(width: float = 7.0, height: float = 3.2) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _style(ax: object) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)  # type: ignore[attr-defined]
    ax.grid(axis="y", alpha=0.3)  # type: ignore[attr-defined]
    ax.set_axisbelow(True)  # type: ignore[attr-defined]


def _time_labels(fig: Figures) -> list[str]:
    """Every bucket of the period (days with no articles included), labelled for the axis."""
    if fig.time_unit == "day":
        return [d.isoformat() for d in fig.period.days]
    return sorted(set(fig.by_time_kind) | set(fig.by_time_sentiment))


def _short(label: str, unit: str) -> str:
    if unit == "day":
        d = date.fromisoformat(label)
        return f"{d.day:02d}/{d.month:02d}"
    if unit == "month":
        y, m = label.split("-")
        return f"{m}/{y}"
    return label.split("-")[-1].replace("W", "T")  # tuần (week) number


def _fonts(cjk: bool = False) -> Any:
    """Fonts for one chart, without touching the process-wide rcParams (the web draws charts too)."""
    return matplotlib.rc_context({"font.family": FONTS_CJK if cjk else FONTS, "font.size": 9})


def volume_chart(fig: Figures) -> bytes:
    """Stacked bars per day (or week/month): domestic vs foreign articles about the city."""
    with _fonts():
        labels = _time_labels(fig)
        dom = [fig.by_time_kind.get(t, {}).get("domestic", 0) for t in labels]
        frn = [fig.by_time_kind.get(t, {}).get("foreign", 0) for t in labels]
        f = _fig()
        ax = f.add_subplot()
        x = range(len(labels))
        ax.bar(x, dom, color=DOMESTIC, label="Báo chí trong nước")
        ax.bar(x, frn, bottom=dom, color=FOREIGN, label="Báo chí nước ngoài")
        step = max(1, len(labels) // 16)
        ax.set_xticks(list(x)[::step], [_short(t, fig.time_unit) for t in labels][::step], rotation=45, ha="right")
        unit = {"day": "ngày", "week": "tuần", "month": "tháng"}[fig.time_unit]
        ax.set_title(f"Số tin bài về Thành phố theo {unit}")
        ax.set_ylabel("Số tin bài")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
        _style(ax)
        return _png(f)


def sentiment_chart(fig: Figures) -> bytes:
    """100 % stacked bars per bucket: positive / neutral / negative share (labelled articles only)."""
    with _fonts():
        labels = _time_labels(fig)
        pos, neu, neg = [], [], []
        for t in labels:
            c = fig.by_time_sentiment.get(t, {})
            n = c.get(1, 0) + c.get(0, 0) + c.get(-1, 0)
            pos.append(100.0 * c.get(1, 0) / n if n else 0.0)
            neu.append(100.0 * c.get(0, 0) / n if n else 0.0)
            neg.append(100.0 * c.get(-1, 0) / n if n else 0.0)
        f = _fig()
        ax = f.add_subplot()
        x = list(range(len(labels)))
        ax.bar(x, neg, color=NEG, label="Tiêu cực")
        ax.bar(x, neu, bottom=neg, color=NEU, label="Trung lập")
        ax.bar(x, pos, bottom=[a + b for a, b in zip(neg, neu, strict=True)], color=POS, label="Tích cực")
        step = max(1, len(labels) // 16)
        ax.set_xticks(x[::step], [_short(t, fig.time_unit) for t in labels][::step], rotation=45, ha="right")
        ax.set_ylim(0, 100)
        ax.set_ylabel("Tỷ lệ (%)")
        ax.set_title("Tỷ lệ sắc thái tin bài theo thời gian")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, frameon=False)
        _style(ax)
        return _png(f)


def _hbar(title: str, labels: Sequence[str], values: Sequence[int], colors: Sequence[str] | str,
          xlabel: str = "Số tin bài") -> bytes:
    with _fonts(cjk=any(ord(ch) > 0x2E80 for label in labels for ch in label)):
        f = _fig(7.0, max(1.8, 0.32 * len(labels) + 0.9))
        ax = f.add_subplot()
        y = list(range(len(labels)))[::-1]
        ax.barh(y, list(values), color=colors)
        ax.set_yticks(y, list(labels))
        for yi, v in zip(y, values, strict=True):
            ax.text(v, yi, f" {v}", va="center", fontsize=8)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        return _png(f)


def topics_chart(fig: Figures, names: TopicNames, n: int = 12) -> bytes:
    """Most-covered topics; sensitive topics in red."""
    rows = sorted(fig.topics.values(), key=lambda r: -r.count)
    rows = [r for r in rows if r.count > 0][:n]
    if not rows:
        return _hbar("Chủ đề (chưa có dữ liệu)", ["—"], [0], NEU)
    colors = [NEG if names.sensitive(r.code) else DOMESTIC for r in rows]
    return _hbar("Số tin bài theo chủ đề (màu đỏ: chủ đề nhạy cảm)",
                 [names.name(r.code) for r in rows], [r.count for r in rows], colors)


def languages_countries_chart(fig: Figures, n: int = 10) -> bytes:
    """Foreign press: articles by language and by country, side by side."""
    with _fonts():
        langs = fig.languages_foreign.most_common(n)
        countries = fig.countries_foreign.most_common(n)
        height = max(2.0, 0.32 * max(len(langs), len(countries), 1) + 1.0)
        f = _fig(7.5, height)
        for i, (title, items, namer) in enumerate((
            ("Theo ngôn ngữ", langs, language_name), ("Theo quốc gia", countries, country_name),
        )):
            ax = f.add_subplot(1, 2, i + 1)
            if not items:
                items = [("", 0)]
            y = list(range(len(items)))[::-1]
            ax.barh(y, [c for _, c in items], color=FOREIGN)
            ax.set_yticks(y, [namer(k) if k else "—" for k, _ in items])
            ax.set_title(title)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        f.suptitle("Báo chí nước ngoài viết về Thành phố")
        return _png(f)


def outlets_chart(rows: Sequence[tuple[str, str, int]], n: int = 12) -> bytes:
    """Top outlets (name, kind, count); foreign outlets in orange."""
    rows = list(rows)[:n]
    if not rows:
        return _hbar("Cơ quan báo chí (chưa có dữ liệu)", ["—"], [0], NEU)
    return _hbar("Cơ quan báo chí đưa tin nhiều nhất về Thành phố", [r[0] for r in rows], [r[2] for r in rows],
                 [FOREIGN if r[1] == "foreign" else DOMESTIC for r in rows])
