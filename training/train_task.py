"""Build stdlib/models/task.json, the task classifier `import std/task` uses.

    python training/train_task.py          # train on everything below, write the model
    python training/train_task.py --cv 5   # 5-fold cross-validation on tune.jsonl (the tuning signal)
    python training/train_task.py --dev    # train without a fixed 15% of each public source, score it

Training data (training/README.md says who wrote what): training/task/templates.py (request
frames × slot values in 14 languages), the project's written prompts (every file
data.NATURAL_TRAIN names: tune.jsonl and the written_*.jsonl files training/README.md describes;
counted --natural-weight times) and the prompts written by others (data.PUBLIC_TRAIN:
public_train.jsonl, labelled_train.jsonl; counted --public-weight times, each task's rows
scaled towards the same total by --balance). The evaluation sets (data.EVALUATION) are read
only to leave out any generated frame that equals one (data.decontaminate).

The model: multinomial logistic regression over policylang.textmodel.features of the
request part of each prompt (policylang.textmodel.request_part), each example's features
scaled to unit length; AdaGrad, L2 penalty, fixed seed, so a rebuild gives the same file.
numpy (the semantic extra's, and the test extra's) holds the weights while training; the
model it writes is plain JSON that the core reads without numpy.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training" / "task"))

from data import decontaminate, natural_training_rows, public_training_rows  # noqa: E402
from templates import TASKS, generate  # noqa: E402

from policylang.textmodel import features, request_part  # noqa: E402

OUT = ROOT / "stdlib" / "models" / "task.json"


def vectorize(rows: list[dict], min_count: int = 1) -> list[tuple[list[str], int, float]]:
    """Each row's sorted features, label index and weight; features found in fewer than
    min_count rows are left out (they would only memorize one prompt)."""
    feats = [features(request_part(row["text"])) for row in rows]
    seen = Counter(f for fs in feats for f in fs)
    return [
        (sorted(f for f in fs if seen[f] >= min_count), TASKS.index(row["task"]), row.get("weight", 1.0))
        for fs, row in zip(feats, rows)
    ]


def train(examples, epochs: int, l2: float, rate: float, seed: int = 1):
    """Softmax regression by AdaGrad, one example at a time in an order shuffled by `seed`: each
    example's features weigh 1/sqrt(their count), its weight scales its gradient, and the L2
    penalty pulls the weights it touches. numpy holds the weights (a row per feature, in order of
    first sight), so an epoch over ~17,000 prompts takes about a second; the same order of
    operations on every run gives the same floats."""
    k = len(TASKS)
    index: dict[str, int] = {}
    rows = []
    for feats, y, weight in examples:
        ids = np.array([index.setdefault(f, len(index)) for f in feats], dtype=np.intp)
        rows.append((ids, y, weight, 1.0 / math.sqrt(len(feats)) if feats else 0.0))
    w_all = np.zeros((len(index), k))
    g_all = np.full((len(index), k), 1e-8)
    bias, bias_g = np.zeros(k), np.full(k, 1e-8)
    rng = random.Random(seed)
    order = list(range(len(examples)))
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            ids, y, weight, scale = rows[i]
            w = w_all[ids]
            scores = bias + w.sum(0) * scale
            exps = np.exp(scores - scores.max())
            delta = exps / exps.sum()
            delta[y] -= 1.0
            g = delta * weight
            bias_g += g * g
            bias -= rate * g / np.sqrt(bias_g)
            g = (delta * scale + l2 * w) * weight
            gs = g_all[ids] + g * g
            g_all[ids] = gs
            w_all[ids] = w - rate * g / np.sqrt(gs)
    return bias.tolist(), {f: w_all[j].tolist() for f, j in index.items()}


def train_averaged(examples, args):
    """The mean of models trained with different example orders: one linear model with less
    variance than any of them."""
    runs = [train(examples, args.epochs, args.l2, args.rate, seed) for seed in range(1, args.seeds + 1)]
    k = len(TASKS)
    bias = [sum(b[j] for b, _ in runs) / len(runs) for j in range(k)]
    weights: dict[str, list[float]] = {}
    for _, w in runs:
        for f, ws in w.items():
            acc = weights.setdefault(f, [0.0] * k)
            for j in range(k):
                acc[j] += ws[j] / len(runs)
    return bias, weights


def judged(bias, weights, rows, temperature, scored):
    """Per row: (row, its label's index, the top task's index, the answer above 0.5 confidence
    else chat); each row's (scores, label) appended to `scored` on the way, for the log loss."""
    for row, (feats, y, _) in zip(rows, vectorize(rows)):
        scores = scores_of(bias, weights, feats)
        scored.append((scores, y))
        got = max(range(len(scores)), key=scores.__getitem__)
        yield row, y, got, TASKS[answer_index(scores, temperature)]


def answer_index(scores: list[float], temperature: float) -> int:
    """What std/task answers for these scores: the top task if its confidence at temperature is
    0.5 or more, else chat."""
    peak = max(scores)
    confident = 1 / sum(math.exp((s - peak) / temperature) for s in scores) >= 0.5
    return scores.index(peak) if confident else TASKS.index("chat")


def scores_of(bias, weights, feats) -> list[float]:
    scale = 1.0 / math.sqrt(len(feats)) if feats else 0.0
    scores = list(bias)
    for f in feats:
        w = weights.get(f)
        if w is not None:
            for j in range(len(scores)):
                scores[j] += w[j] * scale
    return scores


def prune(weights: dict, floor: float) -> dict:
    return {f: [round(x, 3) for x in w] for f, w in sorted(weights.items()) if max(abs(x) for x in w) >= floor}


def nll(scored: list[tuple[list[float], int]], temperature: float) -> float:
    total = 0.0
    for scores, y in scored:
        peak = max(scores)
        total += math.log(sum(math.exp((s - peak) / temperature) for s in scores)) - (scores[y] - peak) / temperature
    return total / len(scored)


def training_rows(natural: list[dict], public: list[dict], args) -> list[dict]:
    rows, _ = decontaminate(generate(per_frame=args.per_frame))  # a frame may equal a held-out prompt
    counts = Counter(r["task"] for r in public)
    mean = sum(counts.values()) / len(counts) if counts else 0.0
    return (rows + [dict(r, weight=args.natural_weight) for r in natural]
            + [dict(r, weight=args.public_weight * (mean / counts[r["task"]]) ** args.balance) for r in public])


DEV_SHARE = 15  # percent of each public source's rows in the development set (--dev)


def is_dev(row: dict) -> bool:
    """Whether a public row is in the development set: a fixed 15% of each source, by a hash of
    its `source` id and text, so adding rows never moves old ones between the two sides."""
    return zlib.crc32((row["source"] + "\x00" + row["text"]).encode()) % 100 < DEV_SHARE


def families(source: str) -> set[str]:
    """What --leave-out may name a row by: its family, and for the project's written prompts
    their file's part too (`written/wml2`: one file of them held out, the others trained on)."""
    parts = source.split("/")
    return {family(source), "/".join(parts[:2])} if parts[0] == "written" else {family(source)}


def in_families(row: dict, left: set[str]) -> bool:
    """Whether a row belongs to one of the source families `left` names (--leave-out): rows
    without a `source` (tune.jsonl's) belong to none."""
    return "source" in row and not left.isdisjoint(families(row["source"]))


def family(source: str) -> str:
    """The set a public row comes from, for the development report: `t0/<dataset>`, else the
    first part of its source id (`math`, `gsm8k`, `dolly`…)."""
    parts = source.split("/")
    if parts[0] == "t0":
        return "t0/" + parts[1].split("_")[0]
    return parts[0]


def develop(natural: list[dict], public: list[dict], args) -> None:
    """Model selection on data we may look at: train without the development rows (is_dev, or
    with --leave-out every row of the named source families: how the model does on a source
    it never saw, as users' prompts are), score them per task and per source, and print the
    temperature with the least log loss."""
    t0 = time.perf_counter()
    left = set(args.leave_out.split(",")) if args.leave_out else set()
    held = (lambda r: in_families(r, left)) if left else is_dev
    # the project's written prompts have a `source` too (written/wen/…): a family to leave out
    away = [bool(left) and held(r) for r in natural]
    dev = [r for r in public if held(r)] + [r for r, a in zip(natural, away) if a]
    bias, weights = train_averaged(vectorize(training_rows(
        [r for r, a in zip(natural, away) if not a], [r for r in public if not held(r)], args),
        args.min_count), args)
    weights = prune(weights, args.prune)
    hit, top, total, scored = Counter(), Counter(), Counter(), []
    for row, y, got, answer in judged(bias, weights, dev, args.temperature, scored):
        if args.errors and answer != row["task"]:
            text = " ".join(row["text"].split())
            print(f"  {row['task']:>9} -> {answer:<9} {row['source']}: {text[:150]}")
        for key in (row["task"], family(row["source"])):
            total[key] += 1
            top[key] += got == y
            hit[key] += answer == row["task"]
    for key in (*(t for t in TASKS if total[t]), *sorted(k for k in total if k not in TASKS)):
        print(f"{key:<16} {total[key]:>5}  top-1 {top[key] / total[key]:6.1%}  above 0.5 else chat {hit[key] / total[key]:6.1%}")
    present = [t for t in TASKS if total[t]]
    macro = sum(hit[t] / total[t] for t in present) / len(present)
    print(f"development set ({len(dev)} rows{', left out: ' + args.leave_out if left else ''}): "
          f"above 0.5 else chat {sum(hit[t] for t in TASKS) / len(dev):.1%}, "
          f"macro {macro:.1%} ({time.perf_counter() - t0:.0f} s)")
    best = min((nll(scored, t / 10), t / 10) for t in range(3, 60))
    print(f"temperature with the least log loss on it: {best[1]} (loss {best[0]:.3f})")
    for temperature in (0.4, 0.6, 0.8, 1.0, 1.2):
        right, seen = Counter(), Counter()
        for scores, y in scored:
            seen[y] += 1
            right[y] += answer_index(scores, temperature) == y
        print(f"  at temperature {temperature}: above 0.5 else chat {sum(right.values()) / len(scored):.1%}, "
              f"macro {sum(right[y] / seen[y] for y in seen) / len(seen):.1%}")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv", type=int, default=0,
                    help="k-fold cross-validation on tune.jsonl + public_train.jsonl instead of writing")
    ap.add_argument("--errors", action="store_true", help="with --cv or --dev: list the wrong answers")
    ap.add_argument("--dev", action="store_true",
                    help="train without a fixed 15%% of each public source and score it instead of writing")
    ap.add_argument("--leave-out", metavar="FAMILIES",
                    help="with --dev: hold out every row of these source families (comma-separated: "
                         "math,codenn,t0/cosmos…; oasst,self-instruct-seed; written, or one written file: "
                         "written/wml2) instead of 15%% of each")
    ap.add_argument("--holdout-tune", action="store_true",
                    help="train without the project's written prompts (data.NATURAL_TRAIN: tune.jsonl, "
                         "written.jsonl…) and measure on them instead of writing")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--rate", type=float, default=0.3)
    ap.add_argument("--per-frame", type=int, default=4)
    ap.add_argument("--natural-weight", type=float, default=3.0)
    ap.add_argument("--public-weight", type=float, default=1.0)
    ap.add_argument("--balance", type=float, default=1.0,
                    help="public rows of a task weigh (mean task count / its count) ** this")
    ap.add_argument("--temperature", type=float, default=0.4,
                    help="divides the scores before the softmax (--cv and --holdout-tune print the best)")
    ap.add_argument("--seeds", type=int, default=1, help="models averaged, each with its own example order")
    ap.add_argument("--min-count", type=int, default=3, help="features in fewer training prompts are left out")
    ap.add_argument("--prune", type=float, default=0.15, help="drop features whose weights all stay below this")
    return ap


def main() -> None:
    args = parser().parse_args()
    natural = natural_training_rows()
    public = public_training_rows()
    t0 = time.perf_counter()
    if args.dev:
        develop(natural, public, args)
        return
    if args.holdout_tune:
        # trained without the written prompts, measured on them: written apart from the rest of
        # the training data, the way users' prompts are
        bias, weights = train_averaged(vectorize(training_rows([], public, args), args.min_count), args)
        weights = prune(weights, args.prune)
        hit, top, total, scored = Counter(), Counter(), Counter(), []
        for row, y, got, answer in judged(bias, weights, natural, args.temperature, scored):
            total[row["task"]] += 1
            top[row["task"]] += got == y
            hit[row["task"]] += answer == row["task"]
        for task in TASKS:
            print(f"{task:<10} top-1 {top[task]}/{total[task]}, above 0.5 {hit[task]}/{total[task]}")
        print(f"the project's written prompts held out: top-1 {sum(top.values()) / len(natural):.1%}, "
              f"above 0.5 else chat {sum(hit.values()) / len(natural):.1%} ({time.perf_counter() - t0:.0f} s)")
        best = min((nll(scored, t / 10), t / 10) for t in range(3, 60))
        print(f"temperature with the least log loss on it: {best[1]}")
        return
    if args.cv:
        # folds over the hand-written and the public prompts alike; the frames always train
        rng = random.Random(3)
        both = [("tune", r) for r in natural] + [("public", r) for r in public]
        idx = list(range(len(both)))
        rng.shuffle(idx)
        hit, total, wrong, scored = Counter(), Counter(), [], []
        for fold in range(args.cv):
            test = [both[i] for i in idx[fold :: args.cv]]
            rest = [both[i] for n, i in enumerate(idx) if n % args.cv != fold]
            bias, weights = train_averaged(vectorize(training_rows(
                [r for k, r in rest if k == "tune"], [r for k, r in rest if k == "public"], args), args.min_count), args)
            weights = prune(weights, args.prune)
            for (kind, row), (feats, y, _) in zip(test, vectorize([r for _, r in test])):
                scores = scores_of(bias, weights, feats)
                scored.append((scores, y))
                got = max(range(len(scores)), key=scores.__getitem__)
                for key in (row["task"], kind):
                    total[key] += 1
                    hit[key] += got == y
                if got != y:
                    wrong.append((row["task"], TASKS[got], row["text"][:90]))
        for key in (*TASKS, "tune", "public"):
            print(f"{key:<10} {hit[key]}/{total[key]} {hit[key] / max(total[key], 1):.1%}")
        print(f"cross-validated accuracy {sum(hit[t] for t in TASKS) / sum(total[t] for t in TASKS):.1%}, "
              f"macro {sum(hit[t] / total[t] for t in TASKS) / len(TASKS):.1%} ({time.perf_counter() - t0:.0f} s)")
        best = min((nll(scored, t / 10), t / 10) for t in range(3, 60))
        print(f"temperature with the least cross-validated log loss: {best[1]} (loss {best[0]:.3f}; "
              f"at 1.0: {nll(scored, 1.0):.3f})")
        if args.errors:
            for want, got, text in wrong:
                print(f"  {want:>9} -> {got:<9} {text!r}")
        return
    rows = training_rows(natural, public, args)
    bias, weights = train_averaged(vectorize(rows, args.min_count), args)
    kept = prune(weights, args.prune)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    model = {"format": 1, "labels": list(TASKS), "bias": [round(b, 4) for b in bias],
             "temperature": args.temperature,
             "trained_on": {"prompts": len(rows), "epochs": args.epochs, "l2": args.l2,
                            "rate": args.rate, "seeds": args.seeds, "min_count": args.min_count, "per_frame": args.per_frame,
                            "natural_weight": args.natural_weight,
                            "public_weight": args.public_weight, "balance": args.balance},
             "weights": kept}
    OUT.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(rows)} prompts, {len(weights)} features ({len(kept)} kept) -> {OUT.relative_to(ROOT)} "
          f"({OUT.stat().st_size // 1024} KB, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
