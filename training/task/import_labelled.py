"""Gather again the prompts of labelled_train.jsonl and oasst_eval.jsonl and split them.

    python training/task/import_labelled.py MIRRORS    # MIRRORS/<owner>+<name>/repo: bare git clones

The prompts are people's own (training/README.md, "Prompts real users wrote"): the first turns
OpenAssistant's volunteers wrote, as Open-Assistant/oasst-model-eval's data files and sampling
reports hold them, and self-instruct's 175 seed tasks. Their labels were given by hand, by
reading each prompt, so they cannot be derived: this script takes each prompt's `task` and `lang`
from the committed files and fails if a prompt it gathers has none (a new upstream prompt needs
a reader) or if a labelled prompt is no longer gathered. What it does derive, and so documents,
is which prompts there are, where each was found (`source`), which were left out and which
side of the split each falls on; a rerun writes both files unchanged.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from data import EVALUATION, HERE, _norm, decontaminate, git, read_jsonl, show, write_jsonl

OASST = ("Open-Assistant/oasst-model-eval", "ce935dee6922ec75d5a4006dd1c3595b39a01fdf")
SELF_INSTRUCT = ("yizhongw/self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23")
LICENCE = "Apache-2.0"
MULTILINGUAL = "model_eval/manual/data/multilingual-60.jsonl"


def evaluation_side(text: str) -> bool:
    """The fixed split: the first 8 hex digits of the SHA-256 of the normalized text, modulo
    100, at 60 or over is evaluation (about 40%)."""
    return int(hashlib.sha256(_norm(text).encode()).hexdigest()[:8], 16) % 100 >= 60


def oasst_prompts(mirrors: Path) -> list[tuple[str, str, bool]]:
    """(text, source, from multilingual-60) for each distinct first turn, in file order: the
    data files first, then every sampling report's `prompts[].prompt`."""
    repo, commit = OASST
    paths = git(mirrors, repo, "ls-tree", "-r", "--name-only", commit).decode("utf-8").split()
    paths = [
        p
        for p in paths
        if p.endswith((".json", ".jsonl"))
        and p.startswith(("model_eval/manual/data/", "sampling_reports/"))
    ]
    found: dict[str, list[str]] = {}
    synthetic: set[str] = set()
    for path in paths:
        try:
            raw = show(mirrors, repo, commit, path)
        except subprocess.CalledProcessError:
            print(f"not read (absent from the snapshot, over 4 MB): {path}", file=sys.stderr)
            continue
        try:  # a report: {"prompts": [{"prompt": …}]}, whatever its name ends with
            items = list(enumerate(p["prompt"] for p in json.loads(raw)["prompts"]))
        except json.JSONDecodeError:  # JSONL: a prompt, a message or a {"prompt"} a line
            items = []
            for i, line in enumerate(raw.splitlines()):
                row = json.loads(line) if line.strip() else None
                if isinstance(row, str):
                    items.append((i, row))
                elif isinstance(row, dict) and "prompt" in row:
                    items.append((i, row["prompt"]))
                elif isinstance(row, dict) and row.get("role") == "prompter":
                    items.append((i, row["text"]))
                    if row.get("synthetic"):
                        synthetic.add(_norm(row["text"]))  # written by a model
        short = path.removeprefix("model_eval/manual/").rsplit(".", 1)[0]
        for i, text in items:
            if isinstance(text, list):  # a conversation: its first turn
                text = text[0] if text else ""
            if isinstance(text, dict):
                text = text.get("text") or text.get("content") or ""
            found.setdefault(text.strip(), []).append(f"{path}\t{short}/{i}")
    out = []
    for text, where in found.items():
        if text and _norm(text) not in synthetic:
            first = ([w for w in where if w.startswith("model_eval/")] or where)[0]
            out.append(
                (
                    text,
                    "oasst/" + first.split("\t")[1],
                    any(w.startswith(MULTILINGUAL) for w in where),
                )
            )
    return out


def seed_tasks(mirrors: Path) -> list[tuple[str, str]]:
    repo, commit = SELF_INSTRUCT
    rows = []
    for line in show(mirrors, repo, commit, "data/seed_tasks.jsonl").splitlines():
        task = json.loads(line)
        given = task["instances"][0]["input"].strip() if task["instances"] else ""
        rows.append(
            (
                task["instruction"].strip() + ("\n\n" + given if given else ""),
                f"self-instruct-seed/{task['id']}",
            )
        )
    return rows


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    mirrors = Path(sys.argv[1])
    train_path, eval_path = HERE / "labelled_train.jsonl", HERE / "oasst_eval.jsonl"
    labels = {_norm(r["text"]): r for r in read_jsonl(train_path) + read_jsonl(eval_path)}
    trained = {
        _norm(r["text"])
        for name in ("public_train.jsonl", "tune.jsonl")
        for r in read_jsonl(HERE / name)
    }
    train, evaluation, unlabelled = [], [], []

    def row(text: str, source: str) -> dict | None:
        label = labels.pop(_norm(text), None)
        if label is None:
            unlabelled.append(source)
            return None
        return {
            "text": text,
            "task": label["task"],
            "source": source,
            "lang": label["lang"],
            "licence": LICENCE,
        }

    gathered = [{"text": t, "source": s, "ml": ml} for t, s, ml in oasst_prompts(mirrors)]
    others = tuple(name for name in EVALUATION if name != eval_path.name)  # not the file made here
    kept, dropped = decontaminate([g for g in gathered if _norm(g["text"]) not in trained], others)
    print(
        f"oasst: {len(gathered)} distinct prompts, {len(gathered) - len(kept) - len(dropped)} already "
        f"trained on, {len(dropped)} holding an evaluation prompt",
        file=sys.stderr,
    )
    for g in kept:
        r = row(g["text"], g["source"])
        if r:
            # Every non-English prompt of multilingual-60.jsonl is evaluation: #33's hand-written
            # multilingual prompts, here written by others.
            (
                evaluation
                if evaluation_side(g["text"]) or (g["ml"] and r["lang"] != "en")
                else train
            ).append(r)
    seeds, dropped = decontaminate([{"text": t, "source": s} for t, s in seed_tasks(mirrors)])
    print(
        f"self-instruct seed tasks: {len(seeds)}, {len(dropped)} holding an evaluation prompt",
        file=sys.stderr,
    )
    for seed in seeds:
        r = row(seed["text"], seed["source"])
        if r:
            train.append(r)
    if unlabelled or labels:
        raise SystemExit(
            f"not labelled by hand: {unlabelled[:5]}; labelled but not gathered: "
            f"{[r['source'] for r in labels.values()][:5]}"
        )
    write_jsonl(train_path, train)
    write_jsonl(eval_path, evaluation)
    print(f"{len(train)} training rows, {len(evaluation)} evaluation rows", file=sys.stderr)


if __name__ == "__main__":
    main()
