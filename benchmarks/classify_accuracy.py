"""Accuracy of the task classifiers on tests/data/prompts.jsonl, per class.

    python benchmarks/classify_accuracy.py            # built-in n-gram backend
    python benchmarks/classify_accuracy.py --minilm   # also the sentence-embedding extra

Three classifiers are measured on the same 210 prompts (7 tasks, 6 languages):
  keywords: benchmarks/task-classifier.policy as written (keywords, then `like` for chat);
  like-ngram / like-minilm: one `like` class per task whose examples are 6 prompts per
  task written for this script (not in the labelled set), threshold 0, best match wins.
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

from policylang import load  # noqa: E402
from policylang.runtime.classify import Classifiers, NgramBackend  # noqa: E402
from policylang.semantics import ir  # noqa: E402

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


def evaluate(classifiers: Classifiers, rows) -> tuple[dict, float, float]:
    hit, total = Counter(), Counter()
    t0 = time.perf_counter()
    for row in rows:
        (c,) = classifiers.run({"messages": [{"role": "user", "content": row["text"]}]})
        total[row["task"]] += 1
        hit[row["task"]] += c.value == row["task"]
    per = {task: hit[task] / total[task] for task in sorted(total)}
    ms = (time.perf_counter() - t0) / len(rows) * 1000
    return per, sum(hit.values()) / sum(total.values()), ms


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minilm", action="store_true")
    args = ap.parse_args()
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "prompts.jsonl").read_text().splitlines()]
    runs = [("keywords", Classifiers(load(ROOT / "benchmarks" / "task-classifier.policy").ir)),
            ("like-ngram", like_only(NgramBackend()))]
    if args.minilm:
        from policylang.runtime.classify import SentenceBackend

        runs.append(("like-minilm", like_only(SentenceBackend())))
    results = [(name, *evaluate(c, rows)) for name, c in runs]
    tasks = sorted(results[0][1])
    print(f"{len(rows)} prompts; accuracy per class")
    print(f"{'class':<11}" + "".join(f"{name:>13}" for name, *_ in results))
    for t in tasks:
        print(f"{t:<11}" + "".join(f"{per[t] * 100:12.0f}%" for _, per, _, _ in results))
    print(f"{'overall':<11}" + "".join(f"{acc * 100:12.1f}%" for _, _, acc, _ in results))
    print(f"{'ms/prompt':<11}" + "".join(f"{ms:13.3f}" for *_, ms in results))


if __name__ == "__main__":
    main()
