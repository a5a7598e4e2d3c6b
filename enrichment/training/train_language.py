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
- jusText's stop-word lists (justext/stoplists/<Language>.txt in the installed wheel: the most
  frequent words of each language's Wikipedia, in frequency order), added as Zipf-shaped pseudo
  counts (STOP_K / rank) so that the function words that make up most two-word snippets are known
  in every language, including those with little text above.
Not used: demo.jsonl and relevance_labels.jsonl (their titles are the single-title evaluation).

Run:
    .venv/bin/python enrichment/training/train_language.py          # write the model
    .venv/bin/python enrichment/training/train_language.py --cv     # weights: train on the first
        quarter of each file, measure on the second quarter (both inside the development half)
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
MAX_WORDS = 40000  # per language; keeps the file small
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


def count(corpora: dict[str, list[str]], stop_k: float = STOP_K, lost_letters: bool = True) -> dict:
    model: dict = {"version": 1, "languages": {}}
    for lang, texts in sorted(corpora.items()):
        c: Counter[str] = Counter()
        for t in texts:
            c.update(tokens(t, lang))
        if stop_k > 0:
            for rank, w in enumerate(stopwords(lang), start=1):
                for tok in tokens(w, lang):
                    c[tok] += max(1, round(stop_k / rank))
                    if lost_letters and lang != "vi" and not tok.isascii():
                        # the same word after a transcoding that lost its accented letters
                        # ("más" → "ms", "también" → "tambin"), as in whole real corpora
                        c["".join(ch for ch in tok if ch.isascii())] += max(1, round(stop_k / rank))
        words = dict(c.most_common(MAX_WORDS))
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


def cross_validate(grid: list[dict], stop_k: float) -> None:
    """Train on the first half of the development half, measure on its second half."""
    from duluan.settings import Settings
    from duluan.text import fold
    from enrichment.language import LanguageIdentifier

    dev = dev_half()
    train = {k: v[: len(v) // 2] for k, v in dev.items()}
    for k, v in other_text().items():
        train[k] = train.get(k, []) + v
    model = count(train, stop_k)
    langs = Settings(config_dir=ROOT / "config").enrichment.languages
    for params in grid:
        ident = LanguageIdentifier(langs, word_model=model, params=params)
        rows = []
        for lang, v in dev.items():
            test = v[len(v) // 2 :]
            sn = snippets(test, random.Random(11))
            s_acc = sum(ident.identify(s).language == lang for s in test) / len(test)
            n_acc = sum(ident.identify(s).language == lang for s in sn) / len(sn)
            rows.append((lang, s_acc, n_acc))
        vi_f = [fold(s) for s in dev["vi"][len(dev["vi"]) // 2 :]]
        vf = sum(ident.identify(s).language == "vi" for s in vi_f) / len(vi_f)
        core = [r for r in rows if r[0] in ("vi", "en", "fr", "de", "es", "zh", "ja", "ko", "ru", "th")]
        print(json.dumps(params), f"core min snip {min(r[2] for r in core):.3f} mean {sum(r[2] for r in core) / len(core):.3f}"
              f" | all mean snip {sum(r[2] for r in rows) / len(rows):.3f} | min sent {min(r[1] for r in core):.3f} | vi folded {vf:.3f}")
        print("   ", " ".join(f"{r[0]}:{100 * r[1]:.0f}/{100 * r[2]:.0f}" for r in rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cv", action="store_true", help="choose weights inside the development half")
    ap.add_argument("--grid", default="", help="JSON list of parameter dicts for --cv")
    ap.add_argument("--stop-k", type=float, default=STOP_K, help="stop-word pseudo count (for --cv)")
    args = ap.parse_args()
    if args.cv:
        grid = json.loads(args.grid) if args.grid else [{}]
        cross_validate(grid, args.stop_k)
        return
    corpora = dev_half()
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
