"""Error of the built-in token estimate against a real tokenizer (o200k_base, through
the bpe-openai package: `pip install bpe-openai`), on tests/data/prompts.jsonl and on
the same prompts repeated to about 2,000 characters.

    python benchmarks/tokens.py
"""
from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policylang.runtime.facts import estimate_tokens  # noqa: E402


def main():
    try:
        import bpe_openai
    except ImportError:
        sys.exit("needs a real tokenizer to compare with: pip install bpe-openai")
    enc = bpe_openai.get_encoding("o200k_base")
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "prompts.jsonl").read_text().splitlines()]
    for label, make in (("one prompt", lambda t: t), ("~2,000 chars", lambda t: (t + " ") * max(1, 2000 // len(t)))):
        errs, by_lang = [], defaultdict(list)
        for r in rows:
            text = make(r["text"])
            real = len(enc.encode(text))
            rel = (estimate_tokens(text) - real) / real
            errs.append(rel)
            by_lang[r["language"]].append(rel)
        absolute = sorted(abs(e) for e in errs)
        print(f"{label}: mean error {statistics.mean(errs) * 100:+.1f}%, mean |error| {statistics.mean(absolute) * 100:.1f}%, "
              f"p90 |error| {absolute[int(len(absolute) * 0.9)] * 100:.1f}%")
        print("   by language (mean |error|): " + ", ".join(
            f"{lang} {statistics.mean(abs(e) for e in v) * 100:.0f}%" for lang, v in sorted(by_lang.items())))


if __name__ == "__main__":
    main()
