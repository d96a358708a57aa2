"""The `language` fact's detectors side by side: accuracy per language and µs per prompt.

    python benchmarks/language.py

Prompts: every labelled prompt of the project (tests/data/prompts.jsonl and training/task/:
9 languages, short requests, some with pasted content, typos or a second language). Detectors:
  builtin  runtime.facts.detect_language: scripts, then function words (no dependency);
  langid   py3langid (`pip install 'policylang[langid]'`), answers below confidence 0.5 dropped;
  lingua   lingua-language-detector, when installed (not an extra: its wheel is 96 MB), limited
           to the 9 languages of the set, as a reference point.
An answer of None (the fact stays missing) counts as wrong and is counted apart.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training" / "task"))

from data import read_blocks, read_jsonl  # noqa: E402

from policylang.runtime.facts import language_detector  # noqa: E402

LANGS = ("en", "es", "fr", "de", "pt", "it", "ja", "zh", "ko")


def prompts() -> list[dict]:
    here = ROOT / "training" / "task"
    rows = read_jsonl(ROOT / "tests" / "data" / "prompts.jsonl")
    rows += read_jsonl(here / "tune.jsonl") + read_jsonl(here / "heldout.jsonl")
    rows += read_blocks(here / "phrasing.txt") + read_blocks(here / "fresh.txt")
    return rows


def lingua():
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:
        return None
    codes = [getattr(IsoCode639_1, c.upper()) for c in LANGS]
    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()

    def detect(text: str):
        lang = detector.detect_language_of(text)
        return lang.iso_code_639_1.name.lower() if lang is not None else None

    return detect


def main() -> None:
    rows = prompts()
    detectors = {"builtin": language_detector("builtin")}
    try:
        detectors["langid"] = language_detector("langid")
    except RuntimeError as exc:
        print(f"(langid skipped: {exc})")
    found = lingua()
    if found is not None:
        detectors["lingua"] = found
    results = {}
    for name, detect in detectors.items():
        detect(rows[0]["text"])  # load lazily built state before timing
        hit, total, missing = Counter(), Counter(), 0
        t0 = time.perf_counter()
        answers = [detect(r["text"]) for r in rows]
        us = (time.perf_counter() - t0) / len(rows) * 1e6
        for row, got in zip(rows, answers):
            total[row["language"]] += 1
            hit[row["language"]] += got == row["language"]
            missing += got is None
        results[name] = (hit, total, missing, us)
    print(f"{len(rows)} prompts in {len(LANGS)} languages; accuracy (a missing answer is wrong)")
    print(f"{'':<10}" + "".join(f"{n:>10}" for n in results))
    for lang in LANGS:
        print(f"{lang:<10}" + "".join(f"{h[lang] / t[lang] * 100:9.1f}%" for h, t, _, _ in results.values()))
    print(f"{'overall':<10}" + "".join(
        f"{sum(h.values()) / sum(t.values()) * 100:9.1f}%" for h, t, _, _ in results.values()))
    print(f"{'missing':<10}" + "".join(f"{m:>10}" for _, _, m, _ in results.values()))
    print(f"{'µs/prompt':<10}" + "".join(f"{us:>10.1f}" for *_, us in results.values()))
    print(json.dumps({n: round(sum(h.values()) / sum(t.values()), 4) for n, (h, t, _, _) in results.items()}))


if __name__ == "__main__":
    main()
