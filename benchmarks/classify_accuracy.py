"""Accuracy of the task classifiers per task and per language, on prompts written by others and
never trained on, on the project's own held-out prompts, and on the training data itself.

    python benchmarks/classify_accuracy.py            # built-in backends
    python benchmarks/classify_accuracy.py --semantic # also the semantic extra's backends
    python benchmarks/classify_accuracy.py --errors   # also list what std/task got wrong
    python benchmarks/classify_accuracy.py --groups oasst,c  # only those groups' sets

Sets (training/README.md says who wrote each and how it was obtained):
 (a) written by others, never trained on:
  public    training/task/public_eval.jsonl: the first turns of MT-bench, Vicuna-bench,
            WizardLM's test set, Koala's test set and self-instruct's user-oriented
            instructions, labelled by hand before any model was trained on public data;
  oasst     training/task/oasst_eval.jsonl: first turns OpenAssistant's volunteers wrote (the
            oasst1 prompts Open-Assistant/oasst-model-eval samples), 12 languages, labelled by
            hand; the other 60% of them are trained on (labelled_train.jsonl);
  arena     training/task/arena_eval.jsonl: prompts real users sent to Chatbot Arena
            (Arena-Hard v0.1, and v2.0's creative writing and a sample of its hard prompts),
            21 languages, labelled by hand before this round's models; none is trained on;
  helpful   training/task/helpful_eval.jsonl: AlpacaEval's helpful_base prompts (from Anthropic's
            HH-RLHF: how-to and factual questions, nearly all chat), shown beside arena, not
            pooled with it;
 (b) written by the project's engineers, never trained on (the same hands as the frames):
  heldout   training/task/heldout.jsonl: half of training/task/collected.txt, split off by a
            fixed seed before any tuning;
  phrasing  training/task/phrasing.txt: other phrasing (terse, pasted content, typos, mixed
            languages);
  fresh     training/task/fresh.txt: styles of public instruction sets;
  languages training/task/languages.txt: the five languages added in the fourth round (ru, nl,
            pl, tr, ar);
  prompts   tests/data/prompts.jsonl: written earlier for the keyword classifier, which was tuned
            on it (its `keywords` column there is in-set; std/task never saw it);
  ext, mc   training/task/written_ext.jsonl and written_mc.jsonl: requests over a given text
            and "which…"/multiple-choice prompts, written in round six for training and left
            out of it (trained on, the users' prompts left out fell); shown beside (b), not
            pooled, so (b) stays comparable with earlier rounds;
  apps      training/task/written_apps.jsonl: requests as people type them inside an app or a
            job, written in round seven for training and left out of it likewise (trained on,
            neither the users' prompts nor the public families held out moved); beside (b);
  casual, complex3, ml4, complex4  training/task/written_casual.jsonl, written_complex3.jsonl,
            written_ml4.jsonl and written_complex4.jsonl: everyday prompts as people type them,
            long demanding English prompts, and long ones in ten other languages, written in
            round nine for training and left out of it likewise (trained on, the users' prompts
            left out fell); beside (b);
 (c) in-set, trained on (how far (a) and (b) fall below what the model saw):
  tune      training/task/tune.jsonl: the other half of collected.txt;
  written   every 5th row of the project's prompts written as users write them (the
            data.NATURAL_TRAIN files but tune.jsonl: written*.jsonl);
  public-train  every 10th row of the files written by others (data.PUBLIC_TRAIN:
            public_train.jsonl, labelled_train.jsonl).
Classifiers:
  always-chat  the baseline that answers chat;
  keywords     benchmarks/task-classifier.policy (whole-word keywords, then `like` for chat);
  like-ngram   one `like` class per task, 6 example prompts each, best match wins;
  std/task     `import std/task`: the shipped model, below confidence 0.5 chat;
  model top-1  the same model's first answer whatever its confidence;
  semantic     (--semantic) `import std/task_semantic`: the semantic extra's encoder and its
               trained head (training/train_task_semantic.py) times std/task's model, below
               confidence 0.5 chat;
  sem-head     (--semantic) that head's own first answer, without std/task's model;
  like-use     (--semantic) like-ngram's classes with the semantic extra's sentence embeddings.
Macro is the mean of the per-task accuracies; micro is the share of all prompts. Each task's
and language's count of prompts is printed beside it: a task with few prompts moves in big
steps.
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

from data import natural_training_rows, public_training_rows, read_blocks, read_jsonl  # noqa: E402

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
        lang = row.get("lang") or row.get("language")
        lang_total[lang] += 1
        lang_hit[lang] += ok
        if not ok:
            wrong.append((row, got))
    per_task = {t: hit[t] / total[t] for t in TASKS if total[t]}
    return {
        "task": per_task,
        "count": dict(total),
        "lang_count": dict(lang_total),
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
    ap.add_argument("--semantic", action="store_true", help="also the semantic extra's backends")
    ap.add_argument("--errors", action="store_true", help="list std/task's wrong answers")
    # Each group: its sets, then the sets shown beside them but not pooled.
    groups = {"a": ("(a) others, never trained on", ["public"], []),
              "oasst": ("(a) OpenAssistant volunteers", ["oasst"], []),
              "arena": ("(a) Arena-Hard users", ["arena"], ["helpful"]),
              "b": ("(b) own, never trained on", ["heldout", "phrasing", "fresh", "languages"],
                    ["prompts", "ext", "mc", "apps", "casual", "complex3", "ml4", "complex4"]),
              "c": ("(c) in-set, trained on", ["tune", "written", "public-train"], [])}
    ap.add_argument("--groups", default=",".join(groups), metavar="NAMES",
                    help=f"comma-separated groups to score, of {', '.join(groups)} (default: all)")
    args = ap.parse_args()
    chosen = args.groups.split(",")
    if unknown := [g for g in chosen if g not in groups]:
        ap.error(f"unknown group {', '.join(unknown)}: the groups are {', '.join(groups)}")
    here = ROOT / "training" / "task"
    loaders = {
        "public": lambda: read_jsonl(here / "public_eval.jsonl"),
        "oasst": lambda: read_jsonl(here / "oasst_eval.jsonl"),
        "arena": lambda: read_jsonl(here / "arena_eval.jsonl"),
        "helpful": lambda: read_jsonl(here / "helpful_eval.jsonl"),
        "heldout": lambda: read_jsonl(here / "heldout.jsonl"),
        "phrasing": lambda: read_blocks(here / "phrasing.txt"),
        "fresh": lambda: read_blocks(here / "fresh.txt"),
        "languages": lambda: read_blocks(here / "languages.txt"),
        "prompts": lambda: read_jsonl(ROOT / "tests" / "data" / "prompts.jsonl"),
        "ext": lambda: read_jsonl(here / "written_ext.jsonl"),
        "mc": lambda: read_jsonl(here / "written_mc.jsonl"),
        "apps": lambda: read_jsonl(here / "written_apps.jsonl"),
        "casual": lambda: read_jsonl(here / "written_casual.jsonl"),
        "complex3": lambda: read_jsonl(here / "written_complex3.jsonl"),
        "ml4": lambda: read_jsonl(here / "written_ml4.jsonl"),
        "complex4": lambda: read_jsonl(here / "written_complex4.jsonl"),
        "tune": lambda: read_jsonl(here / "tune.jsonl"),
        "written": lambda: [r for r in natural_training_rows() if r.get("source", "").startswith("written/")][::5],
        "public-train": lambda: public_training_rows()[::10],
    }
    sets = {name: loaders[name]() for g in chosen for name in groups[g][1] + groups[g][2]}
    std_task = loads("import std\nimport std/task\ndefault route gpt-5-mini\n").ir
    runs = [
        ("always-chat", lambda text: "chat"),
        ("keywords", by_policy(Classifiers(load(ROOT / "benchmarks" / "task-classifier.policy").ir))),
        ("like-ngram", by_policy(like_only(NgramBackend()))),
        ("std/task", by_policy(Classifiers(std_task, cache_size=0))),
        ("model top-1", top1),
    ]
    if args.semantic:
        from policylang.runtime.classify import SentenceBackend

        semantic = loads("import std\nimport std/task_semantic\ndefault route gpt-5-mini\n").ir
        from policylang.semanticmodel import shipped_head

        def head_alone(text: str) -> str:
            head = shipped_head("task-semantic")
            logp = head.log_probabilities(request_part(text))
            return head.labels[max(range(len(logp)), key=logp.__getitem__)]

        runs.append(("semantic", by_policy(Classifiers(semantic, cache_size=0))))
        runs.append(("sem-head", head_alone))
        runs.append(("like-use", by_policy(like_only(SentenceBackend()))))
    width = 13
    micro: dict[tuple[str, str], float] = {}
    for name, rows in sets.items():
        results = [(run, score(answer, rows)) for run, answer in runs]
        for run, r in results:
            micro[name, run] = r["micro"]
        print(f"\n== {name}: {len(rows)} prompts, accuracy")
        print(f"{'':<16}" + "".join(f"{run:>{width}}" for run, _ in results))
        first = results[0][1]
        for t in TASKS:
            if t in first["task"]:
                label = f"{t} ({first['count'][t]})"
                print(f"{label:<16}" + "".join(f"{r['task'][t] * 100:{width - 1}.1f}%" for _, r in results))
        for lang in first["language"]:
            label = f"lang {lang} ({first['lang_count'][lang]})"
            print(f"{label:<16}" + "".join(f"{r['language'][lang] * 100:{width - 1}.1f}%" for _, r in results))
        for key in ("macro", "micro"):
            print(f"{key:<16}" + "".join(f"{r[key] * 100:{width - 1}.1f}%" for _, r in results))
        if args.errors:
            for row, got in dict(results)["std/task"]["wrong"]:
                lang = row.get("lang") or row.get("language")
                print(f"  {lang} {row['task']:>9} -> {got!s:<9} {json.dumps(row['text'][:100], ensure_ascii=False)}")
    print("\n== micro accuracy by group (prompts pooled), and the gap from in-set")
    pooled = {}
    for g in chosen:
        names = groups[g][1]
        n = sum(len(sets[x]) for x in names)
        pooled[g] = {run: sum(micro[x, run] * len(sets[x]) for x in names) / n for run, _ in runs}
    print(f"{'':<30}" + "".join(f"{run:>{width}}" for run, _ in runs))
    for g, acc in pooled.items():
        print(f"{groups[g][0]:<30}" + "".join(f"{acc[run] * 100:{width - 1}.1f}%" for run, _ in runs))
    if "c" in pooled:
        for g in pooled:
            if g != "c":
                print(f"{'gap (c) - ' + g:<30}"
                      + "".join(f"{(pooled['c'][run] - pooled[g][run]) * 100:{width - 1}.1f} " for run, _ in runs))
    rows = loaders["heldout"]()
    print("\nlatency per 2,000-character prompt, uncached:")
    for name, answer in runs[1:]:
        print(f"  {name:<12} {latency_ms(answer, rows):.3f} ms")


if __name__ == "__main__":
    main()
