"""Charts render Vietnamese (and CJK outlet names) without missing glyphs and leave the
process-wide matplotlib settings alone."""

from __future__ import annotations

import io
import warnings
from typing import Any

import matplotlib
from PIL import Image

from reports import charts
from reports.figures import compute_figures
from reports.periods import month_period
from reports.topics import TopicNames


def test_all_charts_render_without_missing_glyphs(rctx: Any) -> None:
    fig = compute_figures(rctx.index, month_period(2026, 10, "Asia/Ho_Chi_Minh"), 0.5)
    before = dict(matplotlib.rcParams)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pngs = [
            charts.volume_chart(fig), charts.sentiment_chart(fig), charts.topics_chart(fig, TopicNames.fallback()),
            charts.languages_countries_chart(fig),
            charts.outlets_chart([("Tuổi Trẻ", "domestic", 40), ("東京新聞", "foreign", 7), ("한국일보", "foreign", 3)]),
        ]
    missing = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert missing == []
    for data in pngs:
        img = Image.open(io.BytesIO(data))
        assert img.format == "PNG" and img.width > 600 and img.height > 200
    assert matplotlib.rcParams["font.family"] == before["font.family"]
