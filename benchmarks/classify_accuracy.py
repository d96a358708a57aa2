"""Accuracy of the task classifiers on prompts they were not tuned on, per task and per language.

    python benchmarks/classify_accuracy.py            # built-in backends
    python benchmarks/classify_accuracy.py --minilm   # also the sentence-embedding `like` extra
    python benchmarks/classify_accuracy.py --errors   # also list what std/task got wrong

Evaluation sets (none is read by training/train_task.py):
  heldout   training/task/heldout.jsonl: half of the hand-written prompts of
            training/task/collected.txt, split off by a fixed seed before any tuning;
  phrasing  training/task/phrasing.txt: written apart in other phrasing (terse, pasted content,
            typos, mixed languages);
  fresh     training/task/fresh.txt: written after the first look at the two sets above, in
            the styles of public instruction sets (QA, brainstorming, word problems, exercises);
  prompts   tests/data/prompts.jsonl: written earlier for the keyword classifier, which was tuned
            on it (so its `keywords` column there is in-set; std/task never saw it).
Classifiers:
  always-chat  the baseline that answers chat;
  keywords     benchmarks/task-classifier.policy (whole-word keywords, then `like` for chat);
  like-ngram   one `like` class per task, 6 example prompts each, best match wins;
  std/task     `import std/task`: the shipped model, below confidence 0.5 chat;
  model top-1  the same model's first answer whatever its confidence.
Macro is the mean of the per-task accuracies; micro is the share of all prompts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training" / "task"))

from data import read_blocks, read_jsonl  # noqa: E402

from policylang import load, loads  # noqa: E402
from policylang.runtime.classify import Classifiers, NgramBackend  # noqa: E402
from policylang.semantics import ir  # noqa: E402
from policylang.textmodel import request_part, shipped_model  # noqa: E402

TASKS = ("summarize", "chat", "code", "reasoning", "translate", "extract", "classify")
LIKE = {
    "summarize": ["give me a summary of this text", "summarise the report in bullet points",
                  "what are the main points of this document", "resume este texto", "この文書を要約して", "总结一下这篇文章"],
    "chat": ["hello, how is your day going", "any fun plans for the weekend?", "recommend me a good film",
             "tell me something funny", "bonjour, ça va ?", "你好，最近怎么样"],
    "code": ["fix the bug in this python code", "write a function that sorts a list", "why does my program crash",
             "explain this compiler error", "escribe una función en javascript", "このコードを直して"],
    "reasoning": ["solve this math problem step by step", "prove this theorem", "what is the probability that",
                  "explain the logic behind this puzzle", "beweise diese aussage", "请一步一步推理"],
    "translate": ["translate this into spanish", "how do you say hello in german", "translate the paragraph to english",
                  "traduis cette phrase", "英語に翻訳して", "翻译成中文"],
    "extract": ["extract the names from this text", "pull out the dates and amounts", "return the fields as json",
                "find all the emails in this document", "extrae los datos", "提取所有的地址"],
    "classify": ["classify this text into a category", "is this review positive or negative", "label these tickets",
                 "is this message spam", "classe ce message", "分类这条评论"],
}


def like_only(backend) -> Classifiers:
    clauses = tuple(ir.ClassClause(task, "like", tuple(ex), 0.0) for task, ex in LIKE.items())
    spec = ir.Classifier("task", "prompt", clauses, "chat")
    policy = ir.PolicyIR("like", {}, {}, {}, {}, (), (), (spec,))
    return Classifiers(policy, backend)


def by_policy(classifiers: Classifiers):
    def answer(text: str) -> str | None:
        (c,) = classifiers.run({"messages": [{"role": "user", "content": text}]})
        return c.value

    return answer


def top1(text: str) -> str:
    return shipped_model("task").predict(request_part(text)).label


def score(answer, rows) -> dict:
    hit, total, lang_hit, lang_total, wrong = Counter(), Counter(), Counter(), Counter(), []
    for row in rows:
        got = answer(row["text"])
        ok = got == row["task"]
        total[row["task"]] += 1
        hit[row["task"]] += ok
        lang_total[row["language"]] += 1
        lang_hit[row["language"]] += ok
        if not ok:
            wrong.append((row, got))
    per_task = {t: hit[t] / total[t] for t in TASKS if total[t]}
    return {
        "task": per_task,
        "language": {lang: lang_hit[lang] / lang_total[lang] for lang in sorted(lang_total)},
        "micro": sum(hit.values()) / len(rows),
        "macro": sum(per_task.values()) / len(per_task),
        "wrong": wrong,
    }


def latency_ms(answer, rows, chars: int = 2000) -> float:
    """Per prompt of `chars` characters: each evaluation prompt followed by pasted text."""
    filler = " ".join(r["text"] for r in rows)
    texts = [(r["text"] + "\n\n" + filler)[:chars] for r in rows[:100]]
    t0 = time.perf_counter()
    for t in texts:
        answer(t)
    return (time.perf_counter() - t0) / len(texts) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minilm", action="store_true", help="also the sentence-embedding `like` backend")
    ap.add_argument("--errors", action="store_true", help="list std/task's wrong answers")
    args = ap.parse_args()
    here = ROOT / "training" / "task"
    sets = {
        "heldout": read_jsonl(here / "heldout.jsonl"),
        "phrasing": read_blocks(here / "phrasing.txt"),
        "fresh": read_blocks(here / "fresh.txt"),
        "prompts": read_jsonl(ROOT / "tests" / "data" / "prompts.jsonl"),
    }
    std_task = loads("import std\nimport std/task\ndefault route gpt-5-mini\n").ir
    runs = [
        ("always-chat", lambda text: "chat"),
        ("keywords", by_policy(Classifiers(load(ROOT / "benchmarks" / "task-classifier.policy").ir))),
        ("like-ngram", by_policy(like_only(NgramBackend()))),
        ("std/task", by_policy(Classifiers(std_task, cache_size=0))),
        ("model top-1", top1),
    ]
    if args.minilm:
        from policylang.runtime.classify import SentenceBackend

        runs.append(("like-minilm", by_policy(like_only(SentenceBackend()))))
    width = 13
    for name, rows in sets.items():
        results = [(run, score(answer, rows)) for run, answer in runs]
        print(f"\n== {name}: {len(rows)} prompts, accuracy")
        print(f"{'':<12}" + "".join(f"{run:>{width}}" for run, _ in results))
        for t in TASKS:
            print(f"{t:<12}" + "".join(f"{r['task'][t] * 100:{width - 1}.1f}%" for _, r in results))
        for lang in results[0][1]["language"]:
            print(f"{'lang ' + lang:<12}" + "".join(f"{r['language'][lang] * 100:{width - 1}.1f}%" for _, r in results))
        for key in ("macro", "micro"):
            print(f"{key:<12}" + "".join(f"{r[key] * 100:{width - 1}.1f}%" for _, r in results))
        if args.errors:
            for row, got in dict(results)["std/task"]["wrong"]:
                print(f"  {row['language']} {row['task']:>9} -> {got!s:<9} {json.dumps(row['text'][:100], ensure_ascii=False)}")
    rows = sets["heldout"]
    print("\nlatency per 2,000-character prompt, uncached:")
    for name, answer in runs[1:]:
        print(f"  {name:<12} {latency_ms(answer, rows):.3f} ms")


if __name__ == "__main__":
    main()
