"""Train the word-level language model (enrichment/models/lang_words.json.gz) and choose its
weights by cross-validation on the development half only.

Why: py3langid's character n-grams are strong on sentences but two words of Spanish, French or
English often look alike at character level ("la vez", "the Director"); whole words settle most of
those. The model is a table of word counts per language, used as a naive-Bayes term next to
py3langid's scores in `enrichment.language.LanguageIdentifier`.

Data (all real text, none of it held out by any evaluation):
- the development half (first half) of each file of tests/fixtures/enrichment/langid/*.txt
  (Leipzig news/web sentences, 18 languages); the second half is the held-out half that
  bench/eval_enrichment.py measures on and is never read here;
- article bodies with hand-checked text in tests/fixtures/pages/fundus/index.json for outlets whose
  language is certain (English-language outlets of au/ca/uk/us/ind/my/tw/jp, French outlets of fr,
  Media Indonesia for id);
- Vietnamese news of the VNTC sample (tests/fixtures/enrichment/vntc), training split of the topic
  model only (sha1(id) mod 10 >= 3), folded (Vietnamese reaching the statistics has no diacritics).
- wordfreq's word frequencies (the `wordfreq` wheel, 3.1.x, data inside the wheel, CC BY-SA 4.0:
  Wikipedia, news, subtitles, books, web and social text per language), the 40,000 most frequent
  words of each Latin-script language as pseudo counts summing to WF_MASS tokens. This is what
  gives function words their real weight ("la" is about twice as frequent in Spanish as in
  French, "dos" is frequent in Portuguese); the sentence files alone are a few thousand words per
  language. Not for id and ms, whose lists blur the two (chosen with --cv).
- jusText's stop-word lists (justext/stoplists/<Language>.txt in the installed wheel: the most
  frequent words of each language's Wikipedia, in frequency order), added as Zipf-shaped pseudo
  counts (STOP_K / rank): the only frequency knowledge for id and ms.
Every word with accented letters is counted once more without them ("más" → "ms", "también" →
"tambin"), as it reads in a corpus whose transcoding lost them (whole real corpora come like that).
Not used: demo.jsonl and relevance_labels.jsonl (their titles are the single-title evaluation).
Only the Latin-script languages are written to the model: the others are settled by their script
or by py3langid.

Run:
    .venv/bin/python enrichment/training/train_language.py          # write the model (deterministic)
    .venv/bin/python enrichment/training/train_language.py --cv --grid '[{"w_word": 0.8}, ...]'
        # 5-fold cross-validation inside the development half: train on four fifths of it (plus
        # the other data), measure on the last fifth, sentences and every two-word window
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from duluan.text import normalize_text  # noqa: E402
from enrichment.language import MODEL_FILE, SUFFIX, tokens  # noqa: E402

FIX = ROOT / "tests" / "fixtures"
LANGID = FIX / "enrichment" / "langid"
EN_COUNTRIES = {"au", "ca", "uk", "us", "ind", "my", "tw", "jp"}
MAX_WORDS = 40000  # per language (chosen with --cv: 20,000 cost es a point)
WF_MASS = 3_000_000.0  # tokens' worth of wordfreq frequencies per language (chosen with --cv)
WF_WORDS = 40000  # most frequent words taken from wordfreq
WF_SKIP = frozenset({"id", "ms"})  # wordfreq's lists not used (chosen with --cv: they blur id and ms)
STOP_K = 500.0  # pseudo count of the most frequent stop word (chosen with --cv)
STOPLISTS = {"vi": "Vietnamese", "en": "English", "fr": "French", "de": "German", "es": "Spanish",
             "it": "Italian", "pt": "Portuguese", "id": "Indonesian", "ms": "Malay", "nl": "Dutch",
             "pl": "Polish", "tr": "Turkish"}


def langid_lines(lang_file: Path) -> list[str]:
    lines = [normalize_text(x.strip()) for x in lang_file.read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines


def dev_half() -> dict[str, list[str]]:
    """The development half (first half) of each sentence file; the held-out half is not returned."""
    out = {}
    for f in sorted(LANGID.glob("*.txt")):
        if f.stem == "ORIGIN":
            continue
        lines = langid_lines(f)
        out[f.stem] = lines[: len(lines) // 2]
    return out


def other_text() -> dict[str, list[str]]:
    """Real article text outside the language-ID sentence files (see the module docstring)."""
    out: dict[str, list[str]] = {"en": [], "fr": [], "id": [], "vi": []}
    for r in json.loads((FIX / "pages" / "fundus" / "index.json").read_text(encoding="utf-8")):
        body = r.get("body_text") or ""
        if r["country"] in EN_COUNTRIES and sum(c.isascii() for c in body) > 0.95 * max(1, len(body)):
            out["en"].append(normalize_text(body))  # English-language outlets (not the Hindi or Japanese ones)
        elif r["country"] == "fr":
            out["fr"].append(normalize_text(body))
        elif r["country"] == "id":
            out["id"].append(normalize_text(body))
    for line in (FIX / "enrichment" / "vntc" / "vntc_train_sample.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 10 >= 3 and len(out["vi"]) < 400:
            out["vi"].append(normalize_text(r["text"]))
    return out


def stopwords(lang: str) -> list[str]:
    """jusText's stop-word list of one language, most frequent first (empty when it has none)."""
    import justext

    name = STOPLISTS.get(lang)
    if not name:
        return []
    path = Path(justext.__file__).parent / "stoplists" / f"{name}.txt"
    return [normalize_text(w.strip()) for w in path.read_text(encoding="utf-8").splitlines() if w.strip()]


def _two_digits(n: int) -> int:
    """A count kept to two significant digits (12,345 → 12,000): the model file compresses to a
    third and no decision changes with the third digit of a count."""
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - 2)
    return round(n / scale) * scale


def frequencies(lang: str, mass: float, n_words: int = WF_WORDS) -> Counter[str]:
    """wordfreq's word frequencies of one language (Wikipedia, news, subtitles, books, web…;
    the data ships inside the wheel) as pseudo counts summing to about `mass` tokens."""
    if mass <= 0 or lang not in STOPLISTS or lang in WF_SKIP:
        return Counter()
    import wordfreq

    out: Counter[str] = Counter()
    for w in wordfreq.top_n_list(lang, n_words, wordlist="best"):
        n = round(wordfreq.word_frequency(w, lang, wordlist="best") * mass)
        if n <= 0:
            break
        for tok in tokens(normalize_text(w), lang):
            out[tok] += n
    return out


def count(corpora: dict[str, list[str]], stop_k: float | None = None, lost_letters: bool = True,
          wf_mass: float | None = None) -> dict:
    stop_k = STOP_K if stop_k is None else stop_k
    wf_mass = WF_MASS if wf_mass is None else wf_mass
    model: dict = {"version": 1, "languages": {}}
    for lang, texts in sorted(corpora.items()):
        c: Counter[str] = Counter()
        for t in texts:
            c.update(tokens(t, lang))
        c.update(frequencies(lang, wf_mass))
        if lost_letters and lang != "vi":
            # every word once more as it reads after a transcoding that lost its accented letters
            # ("más" → "ms", "también" → "tambin"): whole real corpora come like that
            for w, n in list(c.items()):
                if not w.isascii():
                    bare = "".join(ch for ch in w if ch.isascii())
                    if len(bare) >= 2:
                        c[bare] += n
        if stop_k > 0:
            for rank, w in enumerate(stopwords(lang), start=1):
                for tok in tokens(w, lang):
                    c[tok] += max(1, round(stop_k / rank))
                    if lost_letters and lang != "vi" and not tok.isascii():
                        c["".join(ch for ch in tok if ch.isascii())] += max(1, round(stop_k / rank))
        words = {w: _two_digits(n) for w, n in c.most_common(MAX_WORDS)}
        # word endings of the running text: the back-off for words no table knows ("-ción", "-aba")
        suf: Counter[str] = Counter()
        for t in texts:
            suf.update(w[-SUFFIX:] for w in tokens(t, lang) if len(w) > SUFFIX)
        model["languages"][lang] = {"total": sum(c.values()), "words": words,
                                    "suffix_total": sum(suf.values()), "suffixes": dict(suf.most_common(MAX_WORDS))}
    return model


def snippets(sents: list[str], rnd: random.Random) -> list[str]:
    """A random two-word window of each sentence (4 characters when there are no spaces), as the
    evaluation does."""
    out = []
    for s in sents:
        w = s.split()
        if len(w) >= 2:
            i = rnd.randrange(len(w) - 1)
            out.append(" ".join(w[i : i + 2]))
        elif len(s) >= 4:
            i = rnd.randrange(len(s) - 3)
            out.append(s[i : i + 4])
    return out


def windows(sentence: str) -> list[str]:
    """Every two-word window of one sentence (the cross-validation uses all of them, not one
    random window, so that a few hundred sentences give thousands of snippets and a steady figure)."""
    w = sentence.split()
    return [" ".join(w[i : i + 2]) for i in range(len(w) - 1)]


def cross_validate(grid: list[dict], stop_k: float | None = None, folds: int = 5) -> None:
    """k-fold cross-validation inside the development half: train on k-1 folds of it (plus the
    other text), measure on the remaining fold, sentences and every two-word window, for the
    Latin-script languages (the only ones the word model touches)."""
    from duluan.settings import Settings
    from duluan.text import fold
    from enrichment.language import LanguageIdentifier

    dev = dev_half()
    other = other_text()
    langs = Settings(config_dir=ROOT / "config").enrichment.languages
    # per parameter set, per language: [sentences right, sentences, windows right, windows]
    tally = {json.dumps(p): {k: [0, 0, 0, 0] for k in [*STOPLISTS, "vi-folded"]} for p in grid}
    for f in range(folds):
        train, test = {}, {}
        for k, v in dev.items():
            lo, hi = f * len(v) // folds, (f + 1) * len(v) // folds
            train[k], test[k] = v[:lo] + v[hi:] + other.get(k, []), v[lo:hi]
        model = count(train, stop_k)
        for params in grid:
            ident = LanguageIdentifier(langs, word_model=model, params=params)
            t = tally[json.dumps(params)]
            for lang in STOPLISTS:
                for s in test.get(lang, []):
                    t[lang][0] += ident.identify(s).language == lang
                    t[lang][1] += 1
                    for w in windows(s):
                        t[lang][2] += ident.identify(w).language == lang
                        t[lang][3] += 1
                    if lang == "vi":
                        t["vi-folded"][0] += ident.identify(fold(s)).language == "vi"
                        t["vi-folded"][1] += 1
    for p, t in tally.items():
        snip = {k: v[2] / v[3] for k, v in t.items() if v[3]}
        core = [snip[k] for k in ("vi", "en", "fr", "de", "es")]
        print(p, f"office (vi en fr de es): min {min(core):.3f} mean {sum(core) / len(core):.4f} | "
              f"all Latin mean {sum(snip.values()) / len(snip):.4f} | "
              f"vi folded {t['vi-folded'][0] / t['vi-folded'][1]:.3f}")
        print("    sentences/windows %:", " ".join(f"{k}:{100 * v[0] / v[1]:.1f}/{100 * v[2] / v[3]:.1f}"
                                               for k, v in t.items() if v[3]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cv", action="store_true", help="choose weights inside the development half")
    ap.add_argument("--grid", default="", help="JSON list of parameter dicts for --cv")
    ap.add_argument("--stop-k", type=float, default=STOP_K, help="stop-word pseudo count (for --cv)")
    ap.add_argument("--folds", type=int, default=5, help="folds of the development half (for --cv)")
    args = ap.parse_args()
    if args.cv:
        grid = json.loads(args.grid) if args.grid else [{}]
        cross_validate(grid, args.stop_k, args.folds)
        return
    # only the Latin-script languages: the others are decided by their script or by py3langid
    corpora = {k: v for k, v in dev_half().items() if k in STOPLISTS}
    for k, v in other_text().items():
        corpora[k] = corpora.get(k, []) + v
    model = count(corpora)
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(model, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    with open(MODEL_FILE, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(raw)  # mtime=0: the same data gives the same file
    sizes = {k: (v["total"], len(v["words"])) for k, v in model["languages"].items()}
    print(f"wrote {MODEL_FILE} ({MODEL_FILE.stat().st_size:,} bytes); tokens/words per language: {sizes}")


if __name__ == "__main__":
    main()
