"""Divide collected.txt once into tune.jsonl and heldout.jsonl (half of every language × task
group each, by a fixed seed). Run before any tuning; heldout.jsonl is then only ever read by
benchmarks/classify_accuracy.py.

    python training/task/split.py
"""

from __future__ import annotations

import random
from collections import defaultdict

from data import HERE, read_blocks, write_jsonl

SEED = 20261127


def main() -> None:
    groups: dict[tuple, list] = defaultdict(list)
    for row in read_blocks(HERE / "collected.txt"):
        groups[row["language"], row["task"]].append(row)
    rng = random.Random(SEED)
    tune, heldout = [], []
    for key in sorted(groups):
        rows = groups[key]
        rng.shuffle(rows)
        half = len(rows) // 2
        heldout += rows[:half]
        tune += rows[half:]
    write_jsonl(HERE / "tune.jsonl", tune)
    write_jsonl(HERE / "heldout.jsonl", heldout)
    print(f"{len(tune)} prompts to tune.jsonl, {len(heldout)} to heldout.jsonl")


if __name__ == "__main__":
    main()
