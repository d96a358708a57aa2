"""Gather again the prompts of arena_eval.jsonl and helpful_eval.jsonl, two evaluation sets.

    python training/task/import_arena.py MIRRORS    # MIRRORS/<owner>+<name>/repo: bare git clones

The prompts are real users' (training/README.md, "Arena-Hard"): Arena-Hard's v0.1 and v2.0
questions (lmarena/arena-hard-auto) and AlpacaEval's helpful_base prompts (tatsu-lab/alpaca_eval).
Their labels were given by hand, by reading each prompt, so they cannot be derived: this script
takes each prompt's `task`, `lang` and `note` from the committed files and fails if a prompt it
selects has none (a new upstream prompt needs a reader) or if a labelled prompt is no longer
selected. What it does derive, and so documents, is which prompts there are (the seeded sample
of v2.0's hard prompts), their exact text and where each was found (`source`); a rerun writes
both files unchanged. Neither file is ever trained on (data.EVALUATION).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from data import HERE, read_jsonl, show, write_jsonl

ARENA = ("lmarena/arena-hard-auto", "196f6b826783b3da7310e361a805fa36f0be83f3")
ALPACA_EVAL = ("tatsu-lab/alpaca_eval", "cd543a149df89434d8a54582c0151c0b945c3d20")
ARENA_LICENCE = "Apache-2.0"
HELPFUL_LICENCE = "CC BY-NC 4.0 (evaluation only; the prompts from Anthropic's HH-RLHF, MIT)"
HARD_SAMPLE = 200  # of v2.0's 500 hard prompts (coding and math), after a shuffle seeded 33
def arena_prompts(mirrors: Path) -> list[tuple[str, str]]:
    """(text, source): all of v0.1, then v2.0's creative writing, then the seeded sample of
    its hard prompts; each file's lines split at "\\n" only (prompts hold U+2028)."""
    repo, commit = ARENA
    out = []
    v01, v20 = (
        [
            json.loads(line)
            for line in show(mirrors, repo, commit, f"data/arena-hard-{v}/question.jsonl").split(
                "\n"
            )
            if line.strip()
        ]
        for v in ("v0.1", "v2.0")
    )
    out += [(q["prompt"], f"arena-hard-v0.1/{q['uid']}") for q in v01]
    out += [
        (q["prompt"], f"arena-hard-v2.0/{q['uid']}")
        for q in v20
        if q["category"] == "creative_writing"
    ]
    hard = [q for q in v20 if q["category"] != "creative_writing"]
    random.Random(33).shuffle(hard)
    out += [(q["prompt"], f"arena-hard-v2.0/{q['uid']}") for q in hard[:HARD_SAMPLE]]
    return out


def helpful_prompts(mirrors: Path) -> list[tuple[str, str]]:
    """(text, source) of the helpful_base instructions, by their place among the 805; the
    models' outputs in the same file are not read."""
    repo, commit = ALPACA_EVAL
    rows = json.loads(show(mirrors, repo, commit, "results/gpt4_gamed/model_outputs.json"))
    return [
        (r["instruction"], f"alpaca-eval-helpful-base/{n}")
        for n, r in enumerate(rows)
        if r["dataset"] == "helpful_base"
    ]


def labelled(name: str, prompts: list[tuple[str, str]], licence: str) -> list[dict]:
    """The committed labels put on the gathered prompts, in the gathered order."""
    committed = {r["source"]: r for r in read_jsonl(HERE / name)}
    if unlabelled := [source for _, source in prompts if source not in committed]:
        raise SystemExit(
            f"{name}: {len(unlabelled)} gathered prompts have no label, e.g. {unlabelled[0]}: "
            "read and label them"
        )
    if gone := set(committed) - {source for _, source in prompts}:
        raise SystemExit(
            f"{name}: {len(gone)} labelled prompts are no longer gathered, e.g. {sorted(gone)[0]}"
        )
    rows = []
    for text, source in prompts:
        old = committed[source]
        row = {
            "text": text,
            "task": old["task"],
            "source": source,
            "lang": old["lang"],
            "licence": licence,
        }
        if "note" in old:
            row["note"] = old["note"]
        rows.append(row)
    return rows


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    mirrors = Path(sys.argv[1])
    arena = labelled("arena_eval.jsonl", arena_prompts(mirrors), ARENA_LICENCE)
    helpful = labelled("helpful_eval.jsonl", helpful_prompts(mirrors), HELPFUL_LICENCE)
    write_jsonl(HERE / "arena_eval.jsonl", arena)
    write_jsonl(HERE / "helpful_eval.jsonl", helpful)
    print(f"arena_eval.jsonl: {len(arena)} prompts; helpful_eval.jsonl: {len(helpful)} prompts")


if __name__ == "__main__":
    main()
