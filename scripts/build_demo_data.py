"""Build tests/fixtures/articles/demo.jsonl from the real material in ../shared/fixtures.

Texts, titles and outlets are real (VNTC Vietnamese news from VnExpress, Tuổi Trẻ, Thanh Niên,
Người Lao Động; Fundus foreign pages with their hand-checked bodies). VNTC has no dates or URLs,
so publication dates are assigned deterministically within 2026-10-01 … 2026-11-21 (the demo
period) and URLs are built from the corpus file names; Fundus articles keep their real URL and
get a demo date too (their real date is kept in `original_published_at`).
Run by a developer (it reads ../shared); tests use the committed output only."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "articles"
START = datetime(2026, 10, 1, tzinfo=UTC)
SPAN_MIN = int(timedelta(days=51, hours=23).total_seconds() // 60)
VNTC_SOURCES = {"VNE": "vnexpress", "TT": "tuoitre", "TN": "thanhnien", "NLD": "nld"}
FUNDUS_LANG = {"au": "en", "ca": "en", "cn": "zh", "fr": "fr", "id": "id", "ind": "en", "jp": "ja", "kr": "ko",
               "my": "en", "ru": "ru", "tw": "en", "uk": "en", "us": "en", "vn": "vi"}
FUNDUS_COUNTRY = {"uk": "GB", "ind": "IN"}


def demo_date(key: str) -> str:
    h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return (START + timedelta(minutes=h % SPAN_MIN)).isoformat()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    vntc = [json.loads(line) for line in (SHARED / "topics" / "vntc_train_sample.jsonl").open(encoding="utf-8")]
    city_terms = ("TP.HCM", "TP HCM", "TPHCM", "Sài Gòn", "TP Hồ Chí Minh", "TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh")
    picked = [r for r in vntc if any(t in r["text"] for t in city_terms) or "ngập" in r["text"]]
    others = [r for r in vntc if r not in picked][:120]
    for r in picked + others:
        title, _, body = r["text"].partition("\n")
        if len(body.strip()) < 200:
            continue
        src = VNTC_SOURCES.get(r["source_code"], r["source_code"].lower())
        slug = hashlib.sha1(r["id"].encode()).hexdigest()[:12]
        rows.append({
            "url": f"https://{src}.vntc.example/{slug}.html", "title": title.strip(), "text": body.strip(),
            "published_at": demo_date(r["id"]), "source": src, "language": "vi", "country": "VN",
            "kind": "domestic", "corpus_label": r["label"],
        })
    for f in json.loads((SHARED / "pages" / "fundus" / "index.json").read_text()):
        cc = f["country"]
        if not (f.get("body_text") or "").strip():
            continue
        rows.append({
            "url": f["url"], "title": f["title"], "text": f["body_text"], "published_at": demo_date(f["url"]),
            "original_published_at": f.get("publishing_date"), "source": f["publisher"],
            "language": FUNDUS_LANG.get(cc, "en"), "country": FUNDUS_COUNTRY.get(cc, cc.upper()),
            "kind": "domestic" if cc == "vn" else "foreign", "authors": f.get("authors") or [],
        })
    rows.sort(key=lambda r: r["published_at"])
    with (OUT / "demo.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    (OUT / "ORIGIN.txt").write_text(
        "demo.jsonl: built by scripts/build_demo_data.py from ../shared/fixtures/topics/vntc_train_sample.jsonl\n"
        "(VNTC, Vu Cong Duy Hoang et al. 2007, MIT; texts of VnExpress, Tuổi Trẻ, Thanh Niên, Người Lao Động)\n"
        "and ../shared/fixtures/pages/fundus/index.json (Fundus test data, with its LICENSE).\n"
        "Publication dates are assigned for the demo period 2026-10-01..2026-11-21; VNTC URLs are synthetic.\n",
        encoding="utf-8")
    print(f"wrote {len(rows)} articles ({len(picked)} VNTC about the city or flooding)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
